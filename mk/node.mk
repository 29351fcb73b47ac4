# mk/node.mk - Node.js and npm for the suites that drive judgebox with real
# npm clients (compat: piston-client; ops: OpenAPI validators; live: ws,
# eventsource, puppeteer-core).  Debian's nodejs and npm, unless a node with
# npm is there already: a NodeSource nodejs (as on this project's machines)
# ships npm itself and conflicts with Debian's npm package, so asking for
# both would fail the install.  One place decides, for every fragment.
ifeq ($(shell command -v npm 2>/dev/null),)
TEST_DEB_PACKAGES += nodejs npm
endif
