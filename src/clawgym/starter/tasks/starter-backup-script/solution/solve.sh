#!/usr/bin/env bash
# Reference solution: write output/backup.sh, then run it once on input/project.
set -euo pipefail
mkdir -p output
cat > output/backup.sh <<'SCRIPT'
#!/usr/bin/env bash
# Usage: backup.sh SRC DEST
# Archives SRC into DEST/NAME-backup.tar.gz (under NAME/), skipping *.tmp, *.log and anything
# inside node_modules/ or cache/ folders, and writes DEST/NAME-backup.manifest.txt.
set -euo pipefail

if [ "$#" -ne 2 ]; then
    echo "usage: backup.sh SRC DEST" >&2
    exit 2
fi
if [ ! -d "$1" ]; then
    echo "backup.sh: source '$1' is not a directory" >&2
    exit 2
fi

src=$(cd "$1" && pwd)
name=$(basename "$src")
mkdir -p "$2"
dest=$(cd "$2" && pwd)
archive="$dest/$name-backup.tar.gz"
manifest="$dest/$name-backup.manifest.txt"

(
    cd "$src"
    find . \( -type d \( -name node_modules -o -name cache \) -prune \) -o \
           \( -type f ! -name '*.tmp' ! -name '*.log' -print \)
) | sed 's|^\./||' | LC_ALL=C sort > "$manifest.part"

sed "s|^|$name/|" "$manifest.part" \
    | tar -czf "$archive" -C "$(dirname "$src")" --no-recursion --verbatim-files-from -T -
mv "$manifest.part" "$manifest"
echo "$archive"
SCRIPT
chmod +x output/backup.sh
bash output/backup.sh input/project output/backups
