using System.Diagnostics;
using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Grains;
using Pulse.Runtime;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Testing;

namespace Pulse.Bench.Scenarios;

/// <summary>
/// The in-process cost of one rate-limit check on a silo with many limiter activations, called from one
/// thread outside any grain (the gateway's path) in an order unrelated to the order they were created in.
/// </summary>
/// <remarks>
/// This is the part of an HTTP batch that the runtime owns, without the HTTP noise, so that changes to
/// the call path's memory layout can be compared: with as many activations as a busy silo holds, each
/// check's activation, grain and state are rarely in cache, and a batch's throughput is mostly the
/// cache misses along that chain. Activations are created in key order and then checked in a fixed
/// shuffled order, as they are when single checks created them and batches arrive later.
/// </remarks>
internal static class LimiterCallsScenario
{
    private static readonly RateLimitCheck Check = new(
        RateLimiterKeys.AdHocWindow(RateLimitAlgorithm.Gcra), new RateLimitRule(RateLimitAlgorithm.Gcra, 1_000_000_000, 1_000), 1);

    private const int ChecksPerRound = 200_000;

    /// <summary>Measures each activation count on a fresh silo; prints the median and best ns per check.</summary>
    /// <param name="keyCounts">How many limiter activations each measurement has.</param>
    /// <param name="duration">The scenario's time setting: two rounds a second, at least five.</param>
    public static async Task RunAsync(int[] keyCounts, TimeSpan duration)
    {
        int rounds = Math.Max(5, (int)duration.TotalSeconds * 2);
        Console.WriteLine($"limiter-calls: one caller thread, checks in shuffled order; ns per check over {rounds} rounds of {ChecksPerRound:N0} checks");
        Console.WriteLine("activations    median ns     best ns   B/check");

        // A throwaway silo first: until the JIT has tiered the call path up, checks take about twice as long.
        await MeasureAsync(keyCounts[0], rounds, warmUp: TimeSpan.FromSeconds(4));
        foreach (int keyCount in keyCounts)
        {
            (double[] perRound, double bytesPerCheck) = await MeasureAsync(keyCount, rounds, warmUp: TimeSpan.FromSeconds(1));
            Console.WriteLine($"{keyCount,11:N0} {perRound[rounds / 2],12:N1} {perRound[0],11:N1} {bytesPerCheck,9:N0}");
        }
    }

    private static async Task<(double[] PerRound, double BytesPerCheck)> MeasureAsync(int keyCount, int rounds, TimeSpan warmUp)
    {
        await using TestSilo silo = await TestSilo.StartAsync(
            builder => builder.AddGrainAssembly(typeof(GrainsAssembly).Assembly).AddMemoryGrainStorage());
        string[] clientKeys = [.. Enumerable.Range(0, keyCount).Select(i => "key" + i)];
        foreach (string clientKey in clientKeys)
        {
            await silo.GrainFactory.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter("bench", clientKey)).CheckAsync(Check);
        }

        int[] order = [.. Enumerable.Range(0, keyCount)];
        new Random(42).Shuffle(order);

        // A gateway parses each client key from the request it is serving, so the key is in cache
        // while the activation is not: copies made in calling order, read one after another.
        string[] callKeys = [.. order.Select(index => new string(clientKeys[index].AsSpan()))];

        long warmUntil = Stopwatch.GetTimestamp() + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < warmUntil)
        {
            await RoundAsync(silo.GrainFactory, callKeys);
        }

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        int passes = Math.Max(1, ChecksPerRound / keyCount);
        var perRound = new double[rounds];
        long allocatedBefore = GC.GetTotalAllocatedBytes();
        for (int round = 0; round < rounds; round++)
        {
            long started = Stopwatch.GetTimestamp();
            for (int pass = 0; pass < passes; pass++)
            {
                await RoundAsync(silo.GrainFactory, callKeys);
            }

            perRound[round] = Stopwatch.GetElapsedTime(started).TotalNanoseconds / ((long)keyCount * passes);
        }

        double bytesPerCheck = (GC.GetTotalAllocatedBytes() - allocatedBefore) / ((double)keyCount * passes * rounds);
        Array.Sort(perRound);
        return (perRound, bytesPerCheck);
    }

    private static Task RoundAsync(IGrainFactory grains, string[] callKeys)
    {
        // Synchronous on purpose: checks complete on the calling thread, and an async loop would run as
        // an on-stack-replaced method for a while, which is not the gateway's code.
        List<Task>? pending = null;
        foreach (string clientKey in callKeys)
        {
            // The gateway builds the grain key per request, so the activation's copy is another string.
            string key = RateLimiterKeys.Limiter("bench", clientKey);
            ValueTask<RateLimitCheckResult> call = grains.GetGrain<IRateLimiterGrain>(key).CheckAsync(Check);
            if (!call.IsCompletedSuccessfully)
            {
                (pending ??= []).Add(call.AsTask());
            }
        }

        return pending is null ? Task.CompletedTask : Task.WhenAll(pending);
    }
}
