using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Pulse.Bench.Scenarios;

/// <summary>
/// Which types a run allocates, from the runtime's allocation-tick events (one per 100 KB allocated,
/// naming the type that crossed the mark, so large types are sampled in proportion to their bytes).
/// Turned on with <see cref="Variable"/>=1; the events cost a little, so figures of such a run are not
/// the ones to quote.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    /// <summary>The environment variable that turns sampling on.</summary>
    public const string Variable = "PULSE_BENCH_ALLOCATIONS";

    // Keyword 0x1 (GC) at verbose level is what carries the allocation ticks.
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    private readonly ConcurrentDictionary<string, long> _bytes = new();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is not null && e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) && e.Payload is not null)
        {
            int i = e.PayloadNames!.IndexOf("TypeName");
            int a = e.PayloadNames!.IndexOf("AllocationAmount64");
            string type = i >= 0 ? e.Payload[i] as string ?? "?" : "?";
            long amount = a >= 0 ? Convert.ToInt64(e.Payload[a]) : 100_000;
            _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
        }
    }

    /// <summary>A sampler when <see cref="Variable"/> asks for one, else null.</summary>
    public static AllocationSampler? StartIfRequested() => Environment.GetEnvironmentVariable(Variable) == "1" ? new AllocationSampler() : null;

    /// <summary>Prints the most allocated types with their share and bytes per call.</summary>
    public void Print(long calls)
    {
        long total = _bytes.Values.Sum();
        foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(25))
        {
            Console.WriteLine($"  {bytes * 100.0 / total,5:F1}% {bytes / (double)calls,7:F0} B/call {type}");
        }
    }
}
