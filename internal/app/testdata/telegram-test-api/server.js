// Runs telegram-test-api (https://github.com/jehy/telegram-test-api, an
// emulator of the Telegram Bot API written by others) on 127.0.0.1 for
// qunzhu's end-to-end test: node server.js <port> <module directory>.
// It prints "listening <url>" once it serves.
'use strict';

const TelegramServer = require(process.argv[3]);

const server = new TelegramServer({ port: Number(process.argv[2]), host: '127.0.0.1', storeTimeout: 3600 });

// The emulator posts updates to a webhook without awaiting the result: a
// refused post would end the process as an unhandled rejection. Log it
// instead; the test sees the update go missing.
process.on('unhandledRejection', (err) => {
  console.error('telegram-test-api: unhandled rejection:', err && err.message);
});
process.on('SIGTERM', () => {
  server.stop().then(() => process.exit(0));
});

server.start().then(() => {
  console.log('listening ' + server.config.apiURL);
});
