// Every line the soak prints starts with the time and how long the run has
// gone, so a fault can be matched with the servers' logs and with others.

const began = Date.now();

export function elapsedText(at = Date.now()): string {
  const seconds = (at - began) / 1000;
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${(seconds % 60).toFixed(1).padStart(4, '0')}`;
}

export function stamp(at = Date.now()): string {
  return `${new Date(at).toISOString()} +${elapsedText(at)}`;
}

export function say(line: string, at = Date.now()): void {
  process.stdout.write(`[${stamp(at)}] ${line}\n`);
}
