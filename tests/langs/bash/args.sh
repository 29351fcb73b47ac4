printf "%s\n" "$@"
