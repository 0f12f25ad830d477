// `console`: the system seen and steered in a browser (see docs/console.md).
import Console

await ConsoleMain.run()
