using System.Diagnostics;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Testing;

namespace Pulse.Bench.Scenarios;

/// <summary>Persistent write throughput: concurrent grains each writing their state back to back.</summary>
internal static class StorageWriteScenario
{
    public static async Task RunAsync(string name, Action<ISiloBuilder> addStorage, TimeSpan duration, int writers)
    {
        await using TestSilo silo = await TestSilo.StartAsync(addStorage);
        IWriterGrain[] grains = Enumerable.Range(0, writers).Select(i => silo.GrainFactory.GetGrain<IWriterGrain>($"{name}-{Guid.NewGuid():N}-{i}")).ToArray();
        await Task.WhenAll(grains.Select(grain => grain.IncrementAndWriteAsync()));

        var recorders = new LatencyRecorder[writers];
        long stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long started = Stopwatch.GetTimestamp();
        await Task.WhenAll(grains.Select((grain, index) => Task.Run(async () =>
        {
            var recorder = recorders[index] = new LatencyRecorder();
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                long before = Stopwatch.GetTimestamp();
                await grain.IncrementAndWriteAsync();
                recorder.Record(Stopwatch.GetTimestamp() - before);
            }
        })));
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var merged = new LatencyRecorder();
        foreach (LatencyRecorder recorder in recorders)
        {
            merged.Merge(recorder);
        }

        Console.WriteLine($"storage-{name}: {writers} concurrent grains: {merged.Count / seconds:N0} writes/s, p50 {merged.PercentileMicros(50):N0} µs, p99 {merged.PercentileMicros(99):N0} µs");
    }
}
