(print "x"
