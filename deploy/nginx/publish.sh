#!/bin/sh
# publish.sh — cập nhật bài viết, dựng cổng thông tin và đăng lên máy chủ của Sở.
# Pull the articles, build the portal into a new release folder and switch the live
# site to it in one atomic step. For a Department's own server behind nginx; see
# sct.conf.example beside this script.
#
# Layout of the deploy folder (DEPLOY_DIR, given as the first argument):
#
#   DEPLOY_DIR/repo/                   a git clone of the portal repository (SITE_DIR)
#   DEPLOY_DIR/releases/<timestamp>/   one complete build per release (the last 5 kept)
#   DEPLOY_DIR/current                 symlink to the live release; nginx serves it
#
# First time (as the user that owns DEPLOY_DIR, not root):
#
#   git clone <repository URL> DEPLOY_DIR/repo
#   python3 -m venv DEPLOY_DIR/venv && DEPLOY_DIR/venv/bin/pip install -e DEPLOY_DIR/repo
#   ANCONGTHUONG_SITE=DEPLOY_DIR/venv/bin/ancongthuong-site \
#       DEPLOY_DIR/repo/deploy/nginx/publish.sh DEPLOY_DIR
#
# The editable install (-e) runs the builder from the checkout, so `git pull` updates it
# too; when a pull changes pyproject.toml (new dependencies) this script says so, and the
# pip command above must be run again.
#
# Then from cron, every hour at minute 5 (a scheduled article — `date` in the future —
# or an `expires:` moment takes effect only at the next build; the build prints when
# the next such moment is), for example with DEPLOY_DIR=/var/www/sct:
#
#   5 * * * * ANCONGTHUONG_SITE=/var/www/sct/venv/bin/ancongthuong-site /var/www/sct/repo/deploy/nginx/publish.sh /var/www/sct >>/var/www/sct/publish.log 2>&1
#
# Environment:
#   SITE_DIR            the git checkout to build (default: DEPLOY_DIR/repo)
#   ANCONGTHUONG_SITE   the builder command (default: ancongthuong-site on PATH); it may
#                       hold words, e.g. "python3 -m ancongthuong_site", but no spaces
#                       inside a path
#   KEEP_RELEASES       how many releases to keep (default 5, at least 2)
#   GIT_PULL            "no" to build the checkout as it is, without `git pull`
#
# What it promises:
#   - nothing changes on the live site unless `check` and `build` both succeed and the
#     new release passes the checks below: a failed build leaves `current` as it was;
#   - the switch is one rename of a symlink (`ln -s` to a temporary name, then
#     `mv -T` over `current`), so a reader never sees a half-written site
#     (`ln -sfn` is not atomic: it removes the old link before making the new one);
#   - a build whose output is byte-for-byte the live release is discarded, so hourly
#     runs without changes do not push older releases out of the rollback window;
#   - two runs never overlap (a lock; the stale lock of a killed run is taken over).
#
# Roll back by hand: point `current` at an older release the same way, e.g.
#   cd DEPLOY_DIR && ln -s releases/<older> .current.tmp && mv -T .current.tmp current
#
# Exit status: 0 published or nothing to publish, 1 a step failed (site unchanged),
# 2 usage error, 75 another run holds the lock (cron will try again).
#
# Needs: a POSIX shell and utilities, git, the builder; `mv -T` (GNU coreutils) or,
# where mv has no -T (BSD), python3 for the atomic rename.

set -eu

say() {
    printf '%s publish: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

fail() {
    say "LỖI: $*" >&2
    exit 1
}

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
    echo "Cách dùng: $0 DEPLOY_DIR" >&2
    echo "  DEPLOY_DIR chứa repo/ (bản clone của kho bài viết), releases/ và current" >&2
    exit 2
fi

DEPLOY_DIR=$(cd "$1" && pwd -P) || {
    echo "Không vào được thư mục $1" >&2
    exit 2
}
SITE_DIR=${SITE_DIR:-$DEPLOY_DIR/repo}
ANCONGTHUONG_SITE=${ANCONGTHUONG_SITE:-ancongthuong-site}
KEEP_RELEASES=${KEEP_RELEASES:-5}
GIT_PULL=${GIT_PULL:-yes}
RELEASES=$DEPLOY_DIR/releases
CURRENT=$DEPLOY_DIR/current
LOCK=$DEPLOY_DIR/.publish.lock
# Release names: a UTC timestamp, with a suffix if two runs share a second.
RELEASE_PATTERN='^[0-9]{8}T[0-9]{6}Z(-[0-9]+)?$'

case $KEEP_RELEASES in
    '' | *[!0-9]*)
        echo "KEEP_RELEASES phải là số nguyên, không phải \"$KEEP_RELEASES\"" >&2
        exit 2
        ;;
esac
if [ "$KEEP_RELEASES" -lt 2 ]; then
    echo "KEEP_RELEASES phải từ 2 trở lên (giữ ít nhất một bản để quay lại)" >&2
    exit 2
fi
if [ ! -f "$SITE_DIR/site.yaml" ]; then
    echo "Không thấy $SITE_DIR/site.yaml: SITE_DIR phải là bản clone của kho bài viết" >&2
    exit 2
fi

# Files must be readable by the web server's user.
umask 022

# --- one run at a time ---------------------------------------------------------------
# The lock is a symlink whose target is the pid of the run holding it: creating a symlink
# is atomic and fails if the name exists, so exactly one run gets it, already labelled.
# A run killed with -9 leaves it behind; its pid no longer exists, so the next run takes
# the lock over.
release=""
tmp_link=""
locked=""
cleanup() {
    if [ -n "$tmp_link" ]; then
        rm -f "$tmp_link"
    fi
    if [ -n "$release" ] && [ -d "$release" ] &&
        [ "$(readlink "$CURRENT" 2>/dev/null || true)" != "releases/${release##*/}" ]; then
        # A release that never went live (a failed check, or the same as the live one).
        rm -rf "$release"
    fi
    if [ -n "$release" ]; then
        rm -f "$RELEASES/.${release##*/}.lock"
    fi
    if [ -n "$locked" ]; then
        rm -f "$LOCK"
    fi
}

if ! ln -s "$$" "$LOCK" 2>/dev/null; then
    holder=$(readlink "$LOCK" 2>/dev/null || true)
    if [ -n "$holder" ] && kill -0 "$holder" 2>/dev/null; then
        say "một lần đăng khác đang chạy (pid $holder); bỏ qua lần này" \
            "(nếu chắc chắn không có, xóa $LOCK)" >&2
        exit 75
    fi
    say "gỡ khóa cũ của một lần chạy đã dừng (pid ${holder:-?})"
    if [ "$(readlink "$LOCK" 2>/dev/null || true)" = "$holder" ]; then
        rm -f "$LOCK"
    fi
    ln -s "$$" "$LOCK" 2>/dev/null || {
        say "không lấy được khóa $LOCK; bỏ qua lần này" >&2
        exit 75
    }
fi
locked=yes
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. new articles -------------------------------------------------------------------
if [ "$GIT_PULL" != "no" ]; then
    say "git pull trong $SITE_DIR"
    before=$(git -C "$SITE_DIR" rev-parse HEAD)
    git -C "$SITE_DIR" pull --ff-only --quiet ||
        fail "git pull thất bại; trang đang chạy giữ nguyên. Kiểm tra mạng, hoặc sửa kho nếu có thay đổi tại chỗ (git -C $SITE_DIR status)"
    if ! git -C "$SITE_DIR" diff --quiet "$before" HEAD -- pyproject.toml; then
        say "CHÚ Ý: pyproject.toml đã thay đổi; cài lại công cụ dựng (pip install -e $SITE_DIR)" >&2
    fi
fi
commit=$(git -C "$SITE_DIR" rev-parse --short HEAD 2>/dev/null || echo "?")

# --- 2. check and build into a new release ----------------------------------------------
mkdir -p "$RELEASES"
name=$(date -u +%Y%m%dT%H%M%SZ)
if [ -e "$RELEASES/$name" ]; then
    name="$name-$$"
fi
release=$RELEASES/$name

say "kiểm tra nội dung (commit $commit)"
# shellcheck disable=SC2086 # ANCONGTHUONG_SITE may be several words on purpose
$ANCONGTHUONG_SITE check --root "$SITE_DIR" --quiet ||
    fail "kiểm tra thất bại (xem lỗi ở trên); trang đang chạy giữ nguyên"

say "dựng vào releases/$name"
# shellcheck disable=SC2086
# A release is never built into again: no linked copy is left beside it for a next build.
$ANCONGTHUONG_SITE build --root "$SITE_DIR" --out "$release" --quiet --no-standby ||
    fail "dựng thất bại (xem lỗi ở trên); trang đang chạy giữ nguyên"

# --- 3. verify the release before it can go live ---------------------------------------
[ -f "$release/index.html" ] || fail "bản dựng thiếu index.html; trang đang chạy giữ nguyên"
[ -f "$release/404.html" ] || fail "bản dựng thiếu 404.html; trang đang chạy giữ nguyên"
if [ -n "$(find "$release" -type l)" ]; then
    fail "bản dựng chứa liên kết tượng trưng (symlink); trang đang chạy giữ nguyên"
fi

# Same bytes as the live release (the builder's output is deterministic): nothing to do.
# The builder's file of signatures names inodes, so it differs in every release: skip it.
if [ -d "$CURRENT" ] &&
    diff -r -x .ancongthuong-site.stats.json "$CURRENT/" "$release/" >/dev/null 2>&1; then
    say "không có thay đổi so với bản đang chạy ($(readlink "$CURRENT")); giữ nguyên"
    exit 0
fi

# --- 4. switch `current` atomically ----------------------------------------------------
if [ -e "$CURRENT" ] && [ ! -L "$CURRENT" ]; then
    fail "$CURRENT đã có và không phải symlink: dời nó đi (ví dụ đổi tên) rồi chạy lại"
fi
tmp_link=$DEPLOY_DIR/.current.tmp.$$
rm -f "$tmp_link"
# A relative target: the deploy folder can be moved or mounted elsewhere.
ln -s "releases/$name" "$tmp_link"
if ! mv -T "$tmp_link" "$CURRENT" 2>/dev/null; then
    # BSD mv has no -T; rename(2) through Python is just as atomic.
    python3 -c 'import os, sys; os.replace(sys.argv[1], sys.argv[2])' "$tmp_link" "$CURRENT" ||
        fail "không đổi được $CURRENT; trang đang chạy giữ nguyên"
fi
tmp_link=""
say "đã đăng: current -> releases/$name (commit $commit)"

# --- 5. keep the last KEEP_RELEASES releases -------------------------------------------
live=$(readlink "$CURRENT")
live=${live##*/}
# Names sort in time order; never remove the live one, whatever its age.
for path in "$RELEASES"/*; do
    old=${path##*/}
    if printf '%s\n' "$old" | grep -Eq "$RELEASE_PATTERN"; then
        printf '%s\n' "$old"
    fi
done | sort -r | tail -n "+$((KEEP_RELEASES + 1))" |
    while IFS= read -r old; do
        if [ "$old" != "$live" ] && [ -d "$RELEASES/$old" ]; then
            say "xóa bản cũ releases/$old"
            rm -rf "${RELEASES:?}/$old"
        fi
    done
# Leftovers of builds into releases/ that were killed: lock files and staging folders.
for leftover in "$RELEASES"/.*.lock "$RELEASES"/.*.staging-* "$RELEASES"/.*.old-* \
    "$RELEASES"/.*.standby; do
    if [ -e "$leftover" ]; then
        rm -rf "$leftover"
    fi
done
