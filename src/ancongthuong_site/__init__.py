"""ancongthuong-site: the static portal builder of Sở Công Thương An Giang."""

import os

# numpy (the search index) never calls BLAS: without this, importing it starts a BLAS
# thread per core, which costs each run of the builder about 0.08 s of CPU.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
