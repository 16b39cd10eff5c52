// The benchmark's reference server: bare socket.io 4.8 on node:http, one process, no
// authentication and no storage, so Parley's figures can be read beside the stack most
// Socket.IO deployments run. It speaks the load generator's "reference" protocol:
//   join <room name>, ack(true)         the socket enters the room
//   chat message {room, ...}            relayed unchanged to everyone in payload.room
// Listens on 127.0.0.1:$PORT only (default 5000). SIGTERM or SIGINT ends it at once.
'use strict';

const { createServer } = require('node:http');
const { Server } = require('socket.io');

const port = Number.parseInt(process.env.PORT || '5000', 10);
const http = createServer();
const io = new Server(http);

io.on('connection', (socket) => {
  socket.on('join', (room, ack) => {
    if (typeof room !== 'string') return;
    socket.join(room);
    if (typeof ack === 'function') ack(true); // tells the load generator the join landed
  });
  socket.on('chat message', (payload) => {
    if (payload && typeof payload.room === 'string') io.to(payload.room).emit('chat message', payload);
  });
});

http.listen(port, '127.0.0.1', () => {
  console.log(`reference socket.io server on http://127.0.0.1:${port} (pid ${process.pid})`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
