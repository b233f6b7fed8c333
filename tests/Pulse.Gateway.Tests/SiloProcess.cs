using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pulse.Gateway.Tests;

/// <summary>The real silo program (<c>dotnet Pulse.Silo.dll</c> from the test output) with its output captured.</summary>
public sealed class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SiloProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

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

    public static SiloProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Pulse.Silo.dll")])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // Nothing from the test runner's environment decides where this silo listens or which key it uses.
        foreach (string inherited in new[] { "PULSE_ADMIN_KEY", "PULSE_GATEWAY_URL", "PULSE_POSTGRES", "PULSE_MEMBERSHIP", "PULSE_STORAGE", "ASPNETCORE_URLS" })
        {
            start.Environment.Remove(inherited);
        }

        foreach ((string key, string value) in environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        return new SiloProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>GETs <paramref name="url"/> until it answers 200 (bounded; the silo needs a few seconds to start).</summary>
    public async Task WaitUntilOkAsync(HttpClient http, string url)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string last = "(no answer)";
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The silo exited with {_process.ExitCode} before {url} answered:\n{Output}");
            }

            try
            {
                using HttpResponseMessage response = await http.GetAsync(url);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (HttpRequestException exception)
            {
                last = exception.Message;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{url} did not answer 200; last: {last}\n{Output}");
    }

    /// <summary>Stops the silo with SIGTERM, as an operator would, and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
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
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
