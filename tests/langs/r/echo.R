con <- file("stdin", "rb")
out <- file("/dev/stdout", "wb")
repeat { b <- readBin(con, "raw", 4096); if (length(b) == 0) break; writeBin(b, out) }
close(out)
