using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Pulse.Bench.Scenarios;

/// <summary>
/// Load shapes shared by the cluster call scenarios: closed-loop callers (each sends its next call
/// when the previous one returns) and an open-loop paced generator (calls go out at a fixed rate
/// whatever the latency, which is measured from each call's scheduled send time so a stall is
/// charged to every call that should have been sent during it, not hidden: no coordinated omission).
/// </summary>
internal static class CallLoad
{
    public const string ClosedLoopHeader = "callers     calls/s        p50 µs    p99 µs    p99.9 µs  gen0 GCs  B/call";

    /// <summary>Runs a 1 s warm-up and then a measured closed-loop run at each concurrency; returns the calls/s of the last.</summary>
    public static async Task<double> RunClosedLoopsAsync(IPingGrain[] grains, int[] concurrencies, TimeSpan duration)
    {
        Console.WriteLine(ClosedLoopHeader);
        double rate = 0;
        foreach (int callers in concurrencies)
        {
            await ClosedLoopAsync(grains, callers, TimeSpan.FromSeconds(1));
            long allocatedBefore = GC.GetTotalAllocatedBytes();
            (rate, LatencyRecorder latency, int gcs) = await ClosedLoopAsync(grains, callers, duration);
            long perCall = (GC.GetTotalAllocatedBytes() - allocatedBefore) / Math.Max(1, latency.Count);
            Console.WriteLine($"{callers,7} {rate,14:N0} {latency.PercentileMicros(50),10:N0} {latency.PercentileMicros(99),9:N0} {latency.PercentileMicros(99.9),11:N0} {gcs,9} {perCall,7:N0}");
        }

        return rate;
    }

    /// <summary><paramref name="callers"/> callers calling random grains back to back for <paramref name="duration"/>.</summary>
    public static async Task<(double Rate, LatencyRecorder Latency, int Gen0)> ClosedLoopAsync(IPingGrain[] grains, int callers, TimeSpan duration)
    {
        var recorders = new LatencyRecorder[callers];
        long stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        int gen0Before = GC.CollectionCount(0);
        long started = Stopwatch.GetTimestamp();
        var tasks = new Task[callers];
        for (int c = 0; c < callers; c++)
        {
            var recorder = recorders[c] = new LatencyRecorder();
            int seed = c;
            tasks[c] = Task.Run(async () =>
            {
                var random = new Random(seed);
                while (true)
                {
                    long before = Stopwatch.GetTimestamp();
                    if (before >= stopAt)
                    {
                        return;
                    }

                    await grains[random.Next(grains.Length)].PingAsync(1);
                    recorder.Record(Stopwatch.GetTimestamp() - before);
                }
            });
        }

        await Task.WhenAll(tasks);
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        LatencyRecorder merged = Merge(recorders);
        return (merged.Count / seconds, merged, GC.CollectionCount(0) - gen0Before);
    }

    /// <summary>
    /// Issues calls to random grains at <paramref name="callsPerSecond"/> for <paramref name="duration"/>
    /// from one dedicated thread, then waits for the stragglers. Latency runs from the scheduled send
    /// time; the send lag (scheduled to actually issued) is reported too, to show the generator kept up.
    /// </summary>
    public static async Task<OpenLoopResult> OpenLoopAsync(IPingGrain[] grains, double callsPerSecond, TimeSpan duration)
    {
        long total = (long)(callsPerSecond * duration.TotalSeconds);
        double ticksPerCall = Stopwatch.Frequency / callsPerSecond;
        var latency = new StripedRecorder();
        var lag = new LatencyRecorder();
        using var outstanding = new CountdownEvent(1);
        var generated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int failures = 0;
        var resources = ResourceUse.Start();
        long started = 0;

        var generator = new Thread(() =>
        {
            var random = new Random(42);
            started = Stopwatch.GetTimestamp();
            long issued = 0;
            while (issued < total)
            {
                long now = Stopwatch.GetTimestamp();
                long due = Math.Min(total, (long)((now - started) / ticksPerCall) + 1);
                if (issued == due)
                {
                    PauseBriefly();
                    continue;
                }

                for (; issued < due; issued++)
                {
                    long scheduled = started + (long)(issued * ticksPerCall);
                    lag.Record(Stopwatch.GetTimestamp() - scheduled);
                    outstanding.AddCount();
                    _ = CallAsync(grains[random.Next(grains.Length)], scheduled);
                }
            }

            generated.SetResult();
        })
        {
            IsBackground = true,
            Name = "open-loop generator",
        };

        generator.Start();
        await generated.Task;
        double sendSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        outstanding.Signal();
        while (!outstanding.IsSet)
        {
            await Task.Delay(10);
        }

        return new OpenLoopResult(total / sendSeconds, latency.Merged(), lag, Volatile.Read(ref failures), resources.Stop(total));

        async Task CallAsync(IPingGrain grain, long scheduled)
        {
            try
            {
                await grain.PingAsync(1);
                latency.Record(Stopwatch.GetTimestamp() - scheduled);
            }
            catch (Exception)
            {
                Interlocked.Increment(ref failures);
            }
            finally
            {
                outstanding.Signal();
            }
        }
    }

    public static void PrintOpenLoop(double targetRate, OpenLoopResult result) => Console.WriteLine(
        $"open loop at {targetRate:N0} calls/s (achieved {result.Rate:N0}): p50 {result.Latency.PercentileMicros(50):N0} µs, " +
        $"p90 {result.Latency.PercentileMicros(90):N0} µs, p99 {result.Latency.PercentileMicros(99):N0} µs, " +
        $"p99.9 {result.Latency.PercentileMicros(99.9):N0} µs, max {result.Latency.MaxMicros:N0} µs; " +
        $"send lag p99 {result.SendLag.PercentileMicros(99):N0} µs, max {result.SendLag.MaxMicros:N0} µs; {result.Failures} failed; " +
        $"{result.Resources}");

    /// <summary>One recorder holding every sample of <paramref name="recorders"/>.</summary>
    public static LatencyRecorder Merge(LatencyRecorder[] recorders)
    {
        var merged = new LatencyRecorder();
        foreach (LatencyRecorder recorder in recorders)
        {
            merged.Merge(recorder);
        }

        return merged;
    }

    /// <summary>
    /// Gives the CPU away for a few tens of microseconds. Thread.Sleep(1) would batch sends a whole
    /// millisecond apart, which would itself show up as latency; spinning would take a core from the
    /// system under test on a small machine.
    /// </summary>
    private static void PauseBriefly()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = usleep(20);
        }
        else
        {
            Thread.Yield();
        }
    }

    [DllImport("libc", EntryPoint = "usleep")]
    private static extern int usleep(uint microseconds);

    internal readonly record struct OpenLoopResult(double Rate, LatencyRecorder Latency, LatencyRecorder SendLag, int Failures, ResourceUse.Summary Resources);

    /// <summary>Latency recorded from whichever thread completes a call: a few recorders under their own locks.</summary>
    private sealed class StripedRecorder
    {
        private readonly LatencyRecorder[] _stripes = Enumerable.Range(0, 16).Select(_ => new LatencyRecorder()).ToArray();

        public void Record(long ticks)
        {
            LatencyRecorder stripe = _stripes[Environment.CurrentManagedThreadId & 15];
            lock (stripe)
            {
                stripe.Record(ticks);
            }
        }

        public LatencyRecorder Merged()
        {
            var merged = new LatencyRecorder();
            foreach (LatencyRecorder stripe in _stripes)
            {
                lock (stripe)
                {
                    merged.Merge(stripe);
                }
            }

            return merged;
        }
    }
}
