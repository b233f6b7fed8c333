using System.Diagnostics;

namespace Pulse.Bench.Scenarios;

/// <summary>CPU time another process (a silo started beside the benchmark) used since the last <see cref="Restart"/>.</summary>
internal sealed class ProcessCpu : IDisposable
{
    private readonly Process _process;
    private TimeSpan _cpu;
    private long _started;

    public ProcessCpu(int processId)
    {
        _process = Process.GetProcessById(processId);
        Restart();
    }

    public void Restart()
    {
        _process.Refresh();
        _cpu = _process.TotalProcessorTime;
        _started = Stopwatch.GetTimestamp();
    }

    /// <summary>CPU as a share of one core and per call at <paramref name="callsPerSecond"/>.</summary>
    public string Summarize(double callsPerSecond)
    {
        _process.Refresh();
        double seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        double cpuSeconds = (_process.TotalProcessorTime - _cpu).TotalSeconds;
        return $"CPU {100 * cpuSeconds / seconds:F0} % of one core, {1e6 * cpuSeconds / (seconds * callsPerSecond):F1} µs/call";
    }

    public void Dispose() => _process.Dispose();
}
