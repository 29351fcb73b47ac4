cat("x" +)
