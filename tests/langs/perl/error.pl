print "x" +;
