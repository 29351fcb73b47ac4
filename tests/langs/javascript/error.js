console.log("x" +);
