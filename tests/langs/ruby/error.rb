puts(1 +)
