// A stand-in for a hub, run in its own process by http-sink.ts: answers every POST after a fixed
// delay and notes when each body carrying a `mark-<n>` arrived (the latency bench's probes).
const { createServer } = require('http');

const latency = Number(process.argv[2] || 1);
let received = 0;
let marks = [];
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const at = Number(process.hrtime.bigint()) / 1e6; // the system's monotonic clock, as in the publisher
    received++;
    const mark = /mark-(\d+)/.exec(Buffer.concat(chunks).toString('latin1'));
    if (mark) marks.push([Number(mark[1]), at]);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`urn:uuid:sink-${received}`);
    }, latency);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (message) => {
  if (message === 'stats') {
    process.send({ received, marks });
    marks = [];
  } else if (message === 'stop') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
