// rawclient.js: a client that misbehaves on purpose, for the gatewayd
// tests of hostile input. It speaks raw TCP so that it can do what real
// clients do not: send without reading, trickle a body, forge headers.
//
//   node rawclient.js pingflood PORT COUNT
//       open the stream, send COUNT {"type":"ping"} frames and never read;
//       prints "sent COUNT" once they are all written or the server hung up
//   node rawclient.js trickle PORT BODYFILE EVERY_MS
//       POST an ingest body one byte every EVERY_MS; prints "closed after
//       N bytes in T ms" when the server closes, or "answered: STATUS"
//   node rawclient.js request PORT FILE
//       send FILE's bytes as they are; print what comes back until the
//       server closes or 3 s of silence
//   node rawclient.js frames PORT PATH HEX [WAIT_MS]
//       open the stream at PATH, then send the bytes HEX spells (frames
//       made by hand: masked or not, any length announced); print each
//       frame the server sends, "close CODE REASON" for its close frame,
//       "ping" for its pings (never answered), and "eof after T ms" when
//       it hangs up, or "silent" after WAIT_MS (default 5000) of nothing
'use strict';
const net = require('net');
const fs = require('fs');
const crypto = require('crypto');

const [cmd, port] = [process.argv[2], +process.argv[3]];

// A masked client text frame.
function frame(text) {
	const payload = Buffer.from(text);
	const mask = crypto.randomBytes(4);
	const head = payload.length < 126 ?
	    Buffer.from([0x81, 0x80 | payload.length]) :
	    Buffer.from([0x81, 0xfe, payload.length >> 8, payload.length & 255]);
	const body = Buffer.alloc(payload.length);
	for (let i = 0; i < payload.length; i++)
		body[i] = payload[i] ^ mask[i % 4];
	return Buffer.concat([head, mask, body]);
}

function upgrade(s, path) {
	s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
	    'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
	    `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\n` +
	    'Sec-WebSocket-Version: 13\r\n\r\n');
}

if (cmd === 'pingflood') {
	const count = +process.argv[4];
	const s = net.connect(port, '127.0.0.1');
	let head = Buffer.alloc(0), sent = 0, done = false;
	const finish = (why) => {
		if (done)
			return;
		done = true;
		console.log(`sent ${sent}${why ? ' ' + why : ''}`);
		s.destroy();
		process.exit(0);
	};
	s.on('error', () => finish('(server hung up)'));
	s.on('close', () => finish('(server hung up)'));
	s.on('data', (d) => {
		head = Buffer.concat([head, d]);
		if (head.indexOf('\r\n\r\n') < 0)
			return;
		if (!head.toString('latin1').startsWith('HTTP/1.1 101')) {
			console.log('refused: ' + head.toString('latin1').split('\r\n')[0]);
			process.exit(1);
		}
		// Upgraded: from now on nothing is read, ever.
		s.removeAllListeners('data');
		s.pause();
		const chunk = Buffer.concat(Array(1000).fill(frame('{"type":"ping"}')));
		const more = () => {
			while (!done && sent < count) {
				sent += 1000;
				if (!s.write(chunk))
					return;	/* 'drain' calls again */
			}
			if (!done)
				finish('');
		};
		s.on('drain', more);
		more();
	});
	upgrade(s, '/api/v1/agents/activity/stream?user_id=flood');
	// Once the kernel's buffers are full the writes stall for good: the
	// server has then stopped reading, which is an answer too.
	setTimeout(() => finish('(stalled)'), 60000);
} else if (cmd === 'trickle') {
	const body = fs.readFileSync(process.argv[4]);
	const every = +process.argv[5];
	const t0 = Date.now();
	let i = 0, got = '';
	const s = net.connect(port, '127.0.0.1', () => {
		s.write('POST /api/v1/events/ingest HTTP/1.1\r\n' +
		    `Host: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
		    `Content-Length: ${body.length}\r\n\r\n`);
		const tick = setInterval(() => {
			if (i < body.length && !s.destroyed)
				s.write(body.subarray(i, ++i));
			else
				clearInterval(tick);
		}, every);
	});
	s.on('data', (d) => { got += d; });
	s.on('error', () => {});
	s.on('close', () => {
		if (got)
			console.log('answered: ' + got.split('\r\n')[0]);
		else
			console.log(`closed after ${i} bytes in ${Date.now() - t0} ms`);
		process.exit(0);
	});
} else if (cmd === 'request') {
	const req = fs.readFileSync(process.argv[4]);
	let got = Buffer.alloc(0), timer;
	const s = net.connect(port, '127.0.0.1', () => s.write(req));
	const out = () => { process.stdout.write(got); process.exit(0); };
	const arm = () => { clearTimeout(timer); timer = setTimeout(out, 3000); };
	s.on('data', (d) => { got = Buffer.concat([got, d]); arm(); });
	s.on('error', () => {});
	s.on('close', out);
	arm();
} else if (cmd === 'frames') {
	const path = process.argv[4], bytes = Buffer.from(process.argv[5], 'hex');
	const wait = +(process.argv[6] || 5000);
	const s = net.connect(port, '127.0.0.1');
	let buf = Buffer.alloc(0), up = false, t0, timer;
	const stop = (why) => { console.log(why); process.exit(0); };
	const arm = () => {
		clearTimeout(timer);
		timer = setTimeout(() => stop('silent'), wait);
	};
	// Print every whole server frame in buf (server frames are unmasked).
	const frames = () => {
		for (;;) {
			if (buf.length < 2)
				return;
			let len = buf[1] & 127, off = 2;
			if (len === 126) {
				if (buf.length < 4)
					return;
				len = buf.readUInt16BE(2);
				off = 4;
			} else if (len === 127) {
				if (buf.length < 10)
					return;
				len = Number(buf.readBigUInt64BE(2));
				off = 10;
			}
			if (buf.length < off + len)
				return;
			const op = buf[0] & 15, p = buf.subarray(off, off + len);
			if (op === 8)
				console.log(len >= 2 ? `close ${p.readUInt16BE(0)} ` +
				    p.subarray(2).toString('latin1') : `close none ${len}`);
			else if (op === 9)
				console.log('ping');
			else
				console.log('frame ' + p.toString('latin1'));
			buf = buf.subarray(off + len);
		}
	};
	s.on('data', (d) => {
		buf = Buffer.concat([buf, d]);
		arm();
		if (!up) {
			const e = buf.indexOf('\r\n\r\n');
			if (e < 0)
				return;
			const head = buf.subarray(0, e).toString('latin1');
			if (!head.startsWith('HTTP/1.1 101'))
				stop('refused: ' + head.split('\r\n')[0]);
			up = true;
			buf = buf.subarray(e + 4);
			t0 = Date.now();
			s.write(bytes);
		}
		frames();
	});
	s.on('error', () => {});
	s.on('close', () => stop(`eof after ${Date.now() - (t0 || Date.now())} ms`));
	upgrade(s, path);
	arm();
} else {
	console.error('usage: rawclient.js pingflood|trickle|request|frames PORT ...');
	process.exit(2);
}
