using System.Diagnostics;
using Pulse.Runtime;
using Pulse.Runtime.Invocation;
using Pulse.Runtime.Testing;

namespace Pulse.Bench.Scenarios;

/// <summary>
/// Fan-outs from a cluster client to three in-process silos over loopback TCP: each caller sends one
/// call to each of <c>width</c> random ping grains and waits for all of them, as the rate-limit batch
/// endpoint does. Every round measures the same load twice, with the calls made one message each and
/// in <see cref="GrainCallBundle"/>s (one message per silo), alternating so both see the same machine.
/// </summary>
internal static class FanOutCallsScenario
{
    private const int Callers = 16;

    public static async Task RunAsync(TimeSpan duration, int grainCount, int[] widths)
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        TestClusterClient client = await cluster.CreateClientAsync();
        await TestSilo.WaitUntilAsync(() => client.Client.ActiveSilos.Count == 3, "the client sees three silos");
        IPingGrain[] grains = new IPingGrain[grainCount];
        for (int i = 0; i < grains.Length; i++)
        {
            grains[i] = client.GrainFactory.GetGrain<IPingGrain>("g" + i);
        }

        await Task.WhenAll(grains.Select(grain => grain.PingAsync(0).AsTask()));
        Console.WriteLine(
            $"fan-out-calls: client -> 3 silos over loopback TCP, in one process, {grainCount:N0} grains active, {Callers} callers each waiting for one fan-out at a time, " +
            $"{Environment.ProcessorCount} cores visible");
        Console.WriteLine("width  mode      calls/s      fan-outs/s   p50 ms   p99 ms   gen0 GCs  B/call");
        foreach (int width in widths)
        {
            foreach (bool bundled in new[] { false, true, false, true })
            {
                await RunOnceAsync(grains, width, bundled, TimeSpan.FromSeconds(1));
                long allocated = GC.GetTotalAllocatedBytes();
                int gen0 = GC.CollectionCount(0);
                (double fanOuts, LatencyRecorder latency) = await RunOnceAsync(grains, width, bundled, duration);
                long perCall = (GC.GetTotalAllocatedBytes() - allocated) / Math.Max(1, latency.Count * width);
                Console.WriteLine(
                    $"{width,5}  {(bundled ? "bundled" : "single"),-8} {fanOuts * width,10:N0} {fanOuts,14:N0} {latency.PercentileMicros(50) / 1000,8:N2} {latency.PercentileMicros(99) / 1000,8:N2} {GC.CollectionCount(0) - gen0,10} {perCall,7:N0}");
            }
        }
    }

    private static async Task<(double FanOutsPerSecond, LatencyRecorder Latency)> RunOnceAsync(IPingGrain[] grains, int width, bool bundled, TimeSpan duration)
    {
        var recorders = new LatencyRecorder[Callers];
        long stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long started = Stopwatch.GetTimestamp();
        var tasks = new Task[Callers];
        for (int c = 0; c < Callers; c++)
        {
            var recorder = recorders[c] = new LatencyRecorder();
            int seed = c;
            tasks[c] = Task.Run(async () =>
            {
                var random = new Random(seed);
                var calls = new ValueTask<int>[width];
                while (true)
                {
                    long before = Stopwatch.GetTimestamp();
                    if (before >= stopAt)
                    {
                        return;
                    }

                    using (bundled ? GrainCallBundle.Begin() : default)
                    {
                        for (int i = 0; i < width; i++)
                        {
                            calls[i] = grains[random.Next(grains.Length)].PingAsync(i);
                        }
                    }

                    for (int i = 0; i < width; i++)
                    {
                        await calls[i];
                    }

                    recorder.Record(Stopwatch.GetTimestamp() - before);
                }
            });
        }

        await Task.WhenAll(tasks);
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        LatencyRecorder merged = CallLoad.Merge(recorders);
        return (merged.Count / seconds, merged);
    }
}
