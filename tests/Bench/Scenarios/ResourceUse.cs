using System.Diagnostics;

namespace Pulse.Bench.Scenarios;

/// <summary>
/// What a measured run cost the process: CPU time as a share of the machine, collections per
/// generation, time the runtime was paused for them, and bytes allocated per call. A latency tail
/// means something different when the cores were saturated or the GC paused the process for as long,
/// and on a shared machine it also matters how busy the other processes kept the cores. Thread-pool
/// work items and the machine's context switches per call show how many times a call changed threads:
/// on a small virtual machine a switch costs more than the call's own work.
/// </summary>
internal readonly struct ResourceUse
{
    private readonly long _started;
    private readonly TimeSpan _cpu;
    private readonly TimeSpan _gcPause;
    private readonly long _allocated;
    private readonly int _gen0;
    private readonly int _gen1;
    private readonly int _gen2;
    private readonly (long Busy, long Total, long ContextSwitches) _machine;
    private readonly long _workItems;

    private ResourceUse(long started, TimeSpan cpu, TimeSpan gcPause, long allocated, int gen0, int gen1, int gen2)
    {
        _machine = ReadMachineTicks();
        _workItems = ThreadPool.CompletedWorkItemCount;
        _started = started;
        _cpu = cpu;
        _gcPause = gcPause;
        _allocated = allocated;
        _gen0 = gen0;
        _gen1 = gen1;
        _gen2 = gen2;
    }

    public static ResourceUse Start() => new(
        Stopwatch.GetTimestamp(), Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes(),
        GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));

    public Summary Stop(long calls)
    {
        TimeSpan elapsed = Stopwatch.GetElapsedTime(_started);
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpu;
        long workItems = ThreadPool.CompletedWorkItemCount - _workItems;
        (long busy, long total, long contextSwitches) = ReadMachineTicks();
        double machineShare = total > _machine.Total ? (double)(busy - _machine.Busy) / (total - _machine.Total) : double.NaN;
        double perCall = Math.Max(1, calls);
        return new Summary(
            cpu / (elapsed * Environment.ProcessorCount),
            machineShare,
            cpu.TotalMicroseconds / Math.Max(1, calls),
            GC.CollectionCount(0) - _gen0,
            GC.CollectionCount(1) - _gen1,
            GC.CollectionCount(2) - _gen2,
            GC.GetTotalPauseDuration() - _gcPause,
            elapsed,
            (GC.GetTotalAllocatedBytes() - _allocated) / Math.Max(1, calls),
            workItems / perCall,
            (contextSwitches - _machine.ContextSwitches) / perCall,
            ThreadPool.ThreadCount);
    }

    /// <summary>Busy and total jiffies of all cores and context switches since boot, from /proc/stat (zeros where there is none).</summary>
    private static (long Busy, long Total, long ContextSwitches) ReadMachineTicks()
    {
        try
        {
            string[] lines = File.ReadAllLines("/proc/stat");

            // "ctxt N": context switches on all cores since boot.
            string? switches = lines.FirstOrDefault(line => line.StartsWith("ctxt ", StringComparison.Ordinal));
            long contextSwitches = switches is null ? 0 : long.Parse(switches.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture);

            // "cpu  user nice system idle iowait irq softirq steal ...": idle and iowait are the idle ones.
            string[] fields = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long total = 0;
            for (int i = 1; i < fields.Length && i <= 8; i++)
            {
                total += long.Parse(fields[i], System.Globalization.CultureInfo.InvariantCulture);
            }

            long idle = long.Parse(fields[4], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[5], System.Globalization.CultureInfo.InvariantCulture);
            return (total - idle, total, contextSwitches);
        }
        catch (IOException)
        {
            return (0, 0, 0);
        }
    }

    /// <summary>Collection counts include the higher generations (a gen1 collection also counts as gen0).</summary>
    internal readonly record struct Summary(
        double CpuShare,
        double MachineShare,
        double CpuMicrosPerCall,
        int Gen0,
        int Gen1,
        int Gen2,
        TimeSpan GcPause,
        TimeSpan Elapsed,
        long BytesPerCall,
        double WorkItemsPerCall,
        double ContextSwitchesPerCall,
        int PoolThreads)
    {
        public override string ToString() =>
            $"CPU {CpuShare:P0} of {Environment.ProcessorCount} cores (machine {MachineShare:P0} busy), {CpuMicrosPerCall:N1} µs/call; GCs {Gen0}/{Gen1}/{Gen2} (gen0/1/2), paused {GcPause.TotalMilliseconds:N0} ms " +
            $"({GcPause / Elapsed:P1}, {(Gen0 == 0 ? 0 : GcPause.TotalMilliseconds / Gen0):N2} ms each); {BytesPerCall:N0} B/call; " +
            $"{WorkItemsPerCall:N2} pool work items and {ContextSwitchesPerCall:N2} context switches (machine) per call, {PoolThreads} pool threads";
    }
}
