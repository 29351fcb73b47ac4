say "x" +;
