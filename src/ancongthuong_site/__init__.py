"""ancongthuong-site: the static portal builder of Sở Công Thương An Giang."""

__version__ = "0.1.0"
