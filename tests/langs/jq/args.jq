$ARGS.positional | map(. + "\n") | add
