// Preloaded into a CLI process by tests (`node --import tsx --import <this file> bin/credit-etl.js …`): SIGUSR2
// throws from a listener, an uncaught exception at a moment the test chooses.
process.on('SIGUSR2', () => {
  throw new Error('fault injected by the test');
});
