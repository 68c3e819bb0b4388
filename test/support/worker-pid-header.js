// Preloaded into the sample app by the cluster test only: every response says which process
// answered (`X-Worker-Pid`), so the test can tell on which worker a connection landed.
const http = require('http');

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, res) {
  if (event === 'request') res.setHeader('X-Worker-Pid', String(process.pid));
  return emit.apply(this, arguments);
};
