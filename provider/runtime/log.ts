// Warnings shown to the user. In the dynamic-provider host stderr reaches the engine's output.
export function warn(message: string): void {
  console.warn(`warning: ${message}`);
}
