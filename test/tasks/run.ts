import hre from "hardhat";

/** Runs a task in-process and returns what it returned and what it printed. */
export async function runTask(name: string, args: Record<string, unknown>): Promise<{ result: any; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => lines.push(parts.join(" "));
  try {
    const result = await hre.run(name, args);
    return { result, out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}
