using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Pulse.Runtime.Hosting;

namespace Pulse.Runtime.Tests.Hosting;

/// <summary>The silo as a user runs it: a separate process with embedded storage, probed over HTTP.</summary>
public sealed class SiloProcessTests : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("pulse-silo-").FullName;

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    [Fact]
    public async Task TheSiloStartsWithSqliteAnswersLivenessAndStopsGracefullyOnSigterm()
    {
        int port = FreePort();
        using SiloProcess silo = SiloProcess.Start(_dataDirectory, new()
        {
            ["PULSE_DATA_DIR"] = _dataDirectory,
            ["PULSE_HTTP_URL"] = $"http://127.0.0.1:{port}",
        });

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        HttpResponseMessage live = await silo.WaitForHttpAsync(http, $"http://127.0.0.1:{port}/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", await live.Content.ReadAsStringAsync());
        Assert.True(File.Exists(Path.Combine(_dataDirectory, "pulse.db")), "the SQLite database was created in PULSE_DATA_DIR");

        int exitCode = await silo.StopAsync();

        Assert.Equal(0, exitCode);
        Assert.Contains("Pulse silo started", silo.Output);
        Assert.Contains("Silo stopped", silo.Output);
    }

    [Fact]
    public async Task InvalidSettingsStopTheSiloAtStartWithAMessageNamingTheSetting()
    {
        using SiloProcess silo = SiloProcess.Start(_dataDirectory, new()
        {
            ["PULSE_DATA_DIR"] = _dataDirectory,
            ["PULSE_HTTP_URL"] = $"http://127.0.0.1:{FreePort()}",
            ["PULSE_STORAGE"] = "Postgres",
        });

        int exitCode = await silo.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("PULSE_POSTGRES", silo.Output);
    }

    [Theory]
    [InlineData(null, 3)]
    [InlineData("0", 1)]
    public async Task TheSiloRunsOneSocketEngineThreadPerCoreUnlessInlineCompletionsAreTurnedOff(string? inlineCompletions, int engineThreads)
    {
        // Three cores as .NET sees them, so one engine (the switch off) and one per core differ on any machine.
        int port = FreePort();
        var environment = new Dictionary<string, string?>
        {
            ["PULSE_DATA_DIR"] = _dataDirectory,
            ["PULSE_HTTP_URL"] = $"http://127.0.0.1:{port}",
            ["DOTNET_PROCESSOR_COUNT"] = "3",
            [SocketEngineDefaults.InlineCompletionsVariable] = inlineCompletions,
            ["DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"] = null,
        };
        using SiloProcess silo = SiloProcess.Start(_dataDirectory, environment);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        HttpResponseMessage live = await silo.WaitForHttpAsync(http, $"http://127.0.0.1:{port}/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        // The socket engine names each of its epoll threads ".NET Sockets".
        int engines = Directory.GetDirectories($"/proc/{silo.Id}/task")
            .Count(task => File.ReadAllText(Path.Combine(task, "comm")).Trim() == ".NET Sockets");
        Assert.Equal(engineThreads, engines);
        Assert.Equal(0, await silo.StopAsync());
    }

    [Theory]
    [InlineData(null, ThreadSliceDefaults.DefaultSliceMicroseconds)]
    [InlineData("250", 250)]
    [InlineData("0", 0)]
    public async Task TheSilosThreadsRunWithTheConfiguredTimeSliceOrTheKernelsDefault(string? setting, int expectedMicros)
    {
        // This test process never asks for a slice, so its own thread shows the kernel's default: 0 or
        // nothing on kernels without per-thread slices (before 6.12) or where seccomp hides them.
        ulong? kernelDefault = ThreadSliceDefaults.TryReadSlice(0);
        bool kernelHasSlices = kernelDefault > 0;
        int port = FreePort();
        var environment = new Dictionary<string, string?>
        {
            ["PULSE_DATA_DIR"] = _dataDirectory,
            ["PULSE_HTTP_URL"] = $"http://127.0.0.1:{port}",
            [ThreadSliceDefaults.SliceVariable] = setting,
        };

        // Started from a thread with a slice of its own, which the silo inherits: each setting must win over it.
        SiloProcess? started = null;
        bool starterHadOwnSlice = false;
        var starter = new Thread(() =>
        {
            starterHadOwnSlice = ThreadSliceDefaults.TrySetCallingThreadSlice(300_000) && ThreadSliceDefaults.TryReadSlice(0) == 300_000;
            started = SiloProcess.Start(_dataDirectory, environment);
        });
        starter.Start();
        starter.Join();
        using SiloProcess silo = started ?? throw new InvalidOperationException("the silo process did not start");
        Assert.Equal(kernelHasSlices, starterHadOwnSlice);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Assert.Equal(HttpStatusCode.OK, (await silo.WaitForHttpAsync(http, $"http://127.0.0.1:{port}/health/live")).StatusCode);

        // The threads that carry requests all start after Main's first line: the socket engine's and the pool's.
        var slices = Directory.GetDirectories($"/proc/{silo.Id}/task")
            .Select(task => (Name: File.ReadAllText(Path.Combine(task, "comm")).Trim(), Slice: ThreadSliceDefaults.TryReadSlice(int.Parse(Path.GetFileName(task)))))
            .Where(thread => thread.Name is ".NET Sockets" or ".NET TP Worker")
            .ToList();
        Assert.Contains(slices, thread => thread.Name == ".NET Sockets");
        ulong? expected = kernelHasSlices && expectedMicros > 0 ? (ulong)expectedMicros * 1_000 : kernelDefault;
        Assert.All(slices, thread => Assert.Equal(expected, thread.Slice));
        Assert.Equal(0, await silo.StopAsync());

        // The start says which slice the process runs with.
        Assert.Contains(
            !kernelHasSlices ? "this system has no per-thread slices"
                : expectedMicros > 0 ? $"Threads run with {expectedMicros} µs time slices"
                : "Threads run with the kernel's default time slice",
            silo.Output);
    }

    [Theory]
    [InlineData("50")]
    [InlineData("fast")]
    public async Task ASliceOutsideTheKernelsBoundsStopsTheSiloAtStartNamingTheVariable(string setting)
    {
        using SiloProcess silo = SiloProcess.Start(_dataDirectory, new()
        {
            ["PULSE_DATA_DIR"] = _dataDirectory,
            ["PULSE_HTTP_URL"] = $"http://127.0.0.1:{FreePort()}",
            [ThreadSliceDefaults.SliceVariable] = setting,
        });

        int exitCode = await silo.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains(ThreadSliceDefaults.SliceVariable, silo.Output);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class SiloProcess : IDisposable
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

        public int Id => _process.Id;

        /// <summary>Starts the silo with the test's environment plus <paramref name="environment"/>; a null value removes a variable.</summary>
        public static SiloProcess Start(string workingDirectory, Dictionary<string, string?> environment)
        {
            string siloDll = Path.Combine(AppContext.BaseDirectory, "Pulse.Silo.dll");
            var start = new ProcessStartInfo("dotnet", [siloDll])
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach ((string name, string? value) in environment)
            {
                if (value is null)
                {
                    start.Environment.Remove(name);
                }
                else
                {
                    start.Environment[name] = value;
                }
            }

            start.Environment["DOTNET_ENVIRONMENT"] = "Production";
            return new SiloProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"));
        }

        public async Task<HttpResponseMessage> WaitForHttpAsync(HttpClient http, string url)
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"The silo exited with {_process.ExitCode} before answering:\n{Output}");
                }

                try
                {
                    return await http.GetAsync(url);
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && DateTime.UtcNow < deadline)
                {
                    // Refused, or accepted but not answered within the client's timeout: a host still starting
                    // on a loaded machine does both.
                    await Task.Delay(100);
                }
            }
        }

        /// <summary>Sends SIGTERM (what Kubernetes and Ctrl+C do) and waits for a graceful exit.</summary>
        public async Task<int> StopAsync()
        {
            using (Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
            {
                await kill.WaitForExitAsync();
            }

            return await WaitForExitAsync(TimeSpan.FromSeconds(60));
        }

        public async Task<int> WaitForExitAsync(TimeSpan limit)
        {
            using var timeout = new CancellationTokenSource(limit);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The silo did not exit within {limit}:\n{Output}");
            }

            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
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
    }
}
