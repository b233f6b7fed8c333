using System.Diagnostics;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Testing;

namespace Pulse.Bench.Scenarios;

/// <summary>
/// Local grain call throughput and latency: 10,000 grains, 1 / 100 / 1,000 concurrent callers, each
/// caller calling random grains back to back for a fixed time.
/// </summary>
internal static class LocalCallsScenario
{
    public static async Task RunAsync(TimeSpan duration, int grainCount)
    {
        await using TestSilo silo = await TestSilo.StartAsync(builder => builder.AddMemoryGrainStorage());
        IPingGrain[] grains = new IPingGrain[grainCount];
        for (int i = 0; i < grains.Length; i++)
        {
            grains[i] = silo.GrainFactory.GetGrain<IPingGrain>("g" + i);
        }

        // Activate everything first: the scenario measures calls, not activations.
        await Task.WhenAll(grains.Select(grain => grain.PingAsync(0).AsTask()));
        Console.WriteLine($"local-calls: {grainCount:N0} grains active, {Environment.ProcessorCount} cores, server GC={System.Runtime.GCSettings.IsServerGC}");
        Console.WriteLine("callers     calls/s        p50 µs    p99 µs    p99.9 µs  gen0 GCs");
        foreach (int callers in new[] { 1, 100, 1000 })
        {
            await MeasureAsync(grains, callers, TimeSpan.FromSeconds(1));
            (double rate, LatencyRecorder latency, int gcs) = await MeasureAsync(grains, callers, duration);
            Console.WriteLine($"{callers,7} {rate,14:N0} {latency.PercentileMicros(50),10:N0} {latency.PercentileMicros(99),9:N0} {latency.PercentileMicros(99.9),11:N0} {gcs,9}");
        }
    }

    private static async Task<(double Rate, LatencyRecorder Latency, int Gen0)> MeasureAsync(IPingGrain[] grains, int callers, TimeSpan duration)
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
        var merged = new LatencyRecorder();
        foreach (LatencyRecorder recorder in recorders)
        {
            merged.Merge(recorder);
        }

        return (merged.Count / seconds, merged, GC.CollectionCount(0) - gen0Before);
    }
}
