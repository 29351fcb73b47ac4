println "x" +
