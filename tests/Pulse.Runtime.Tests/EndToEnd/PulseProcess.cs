using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Pulse.Runtime.Tests.EndToEnd;

/// <summary>
/// A Pulse process (silo or gateway) started from the test output with <c>dotnet X.dll</c>, its output
/// captured, and signals delivered the way an operator or Kubernetes would.
/// </summary>
public sealed partial class PulseProcess : IDisposable
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    // Linux x86-64/arm64 numbers.
    public const int SigCont = 18;
    public const int SigStop = 19;

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private PulseProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="dll"/> (a file in the test output) with the given environment.</summary>
    public static PulseProcess Start(string name, string dll, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, dll)])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach ((string key, string value) in environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        return new PulseProcess(name, Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>Delivers a signal (SIGKILL, SIGSTOP, SIGCONT, SIGTERM) to the process.</summary>
    public void Signal(int signal)
    {
        if (SendSignal(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    /// <summary>GETs <paramref name="url"/> until it answers <paramref name="expected"/> or <paramref name="limit"/> passes.</summary>
    public async Task<(HttpStatusCode Status, string Body)> WaitForStatusAsync(HttpClient http, string url, HttpStatusCode expected, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        (HttpStatusCode Status, string Body) last = (0, "(no answer)");
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} while waiting for {url}:\n{Output}");
            }

            try
            {
                using HttpResponseMessage response = await http.GetAsync(url);
                last = (response.StatusCode, await response.Content.ReadAsStringAsync());
                if (last.Status == expected)
                {
                    return last;
                }
            }
            catch (HttpRequestException exception)
            {
                last = (0, exception.Message);
            }
            catch (TaskCanceledException exception)
            {
                last = (0, exception.Message);
            }

            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"{url} did not answer {expected} within {limit}; last: {last.Status} {last.Body}\n{Name} output:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits for the process to exit; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {limit}:\n{Output}");
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // A stopped process cannot act on SIGKILL until continued; SIGKILL still ends it, but continue it first anyway.
            SendSignal(_process.Id, SigCont);
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
