/*
 * PROFILE=<file.cpuprofile> for the bench scripts: a V8 CPU profile of the measured part only
 * (node:inspector), started and stopped around it. Nothing happens without PROFILE.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Starts profiling when PROFILE is set (`intervalUs`: the sampling interval); the returned stop() writes the file. */
export async function profileIfAsked(intervalUs?: number): Promise<() => Promise<void>> {
  const file = process.env.PROFILE;
  if (!file) return async () => {};
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  if (intervalUs) await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}
