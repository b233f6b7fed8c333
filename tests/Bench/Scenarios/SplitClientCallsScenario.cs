using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pulse.Runtime;
using Pulse.Runtime.Client;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Testing;

namespace Pulse.Bench.Scenarios;

/// <summary>
/// The client-calls measurement with the client and the silo in two processes, as the gateway and a
/// silo are deployed, each pinned to a core of its own (silo CPU 0, client CPU 1) like the HTTP
/// benchmarks' split pinning. In one process the open-loop generator, the client and the silo share
/// both cores, so a latency tail there is partly the load generator waiting for a core; here each
/// side's work has a core to itself and the figures show what the silo does with one.
/// </summary>
/// <remarks>
/// This process only coordinates: it starts <c>silo-host</c> and then <c>split-client</c> as children
/// of this same program (under <c>taskset</c> when the machine has it and two or more CPUs), relays
/// the client's output and stops the silo. The two find each other through a SQLite membership table
/// in a temporary folder, as silos of one host do.
/// </remarks>
internal static class SplitClientCallsScenario
{
    public const string SiloRole = "silo-host";
    public const string ClientRole = "split-client";
    private const string ClusterId = "bench-split";
    private const string ReadyLine = "silo-host ready";

    /// <summary>Starts the silo and client processes and waits for the client's figures.</summary>
    public static async Task<int> RunAsync(TimeSpan duration)
    {
        string folder = Directory.CreateTempSubdirectory("pulse-bench-split-").FullName;
        string database = Path.Combine(folder, "membership.db");
        bool pin = Environment.ProcessorCount >= 2 && OperatingSystem.IsLinux() && FindOnPath("taskset") is not null;
        Console.WriteLine(pin
            ? "client-calls-split: silo process on CPU 0, client process on CPU 1 (taskset)"
            : "client-calls-split: taskset or a second CPU is missing, so the two processes are not pinned");
        Process? silo = null;
        try
        {
            silo = StartChild(pin ? "0" : null, SiloRole, database);
            if (!await WaitForReadyAsync(silo, TimeSpan.FromSeconds(60)))
            {
                Console.Error.WriteLine("client-calls-split: the silo process did not start; its output is above");
                return 1;
            }

            using Process client = StartChild(pin ? "1" : null, ClientRole, database, ((int)duration.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture), silo.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Task relay = RelayAsync(client.StandardOutput, Console.Out);
            Task relayErrors = RelayAsync(client.StandardError, Console.Error);
            await client.WaitForExitAsync();
            await Task.WhenAll(relay, relayErrors);
            return client.ExitCode;
        }
        finally
        {
            if (silo is not null)
            {
                // Closing its input is the silo's signal to stop; a silo that does not is killed.
                silo.StandardInput.Close();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    await silo.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    silo.Kill(entireProcessTree: true);
                }

                silo.Dispose();
            }

            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The silo child: one silo on free loopback ports, membership in <paramref name="database"/>, until its input closes.</summary>
    public static async Task<int> RunSiloAsync(string database)
    {
        // The test cluster's silo (loopback, free ports, memory storage), with a membership table the
        // client process can read; the SQLite table replaces the in-memory one.
        await using TestCluster cluster = await TestCluster.StartAsync(1, silo =>
        {
            silo.ConfigureCluster(options => options.ClusterId = ClusterId);
            silo.UseSqliteMembership(options => options.DataSource = database);
        });
        Console.WriteLine(ReadyLine);

        // Blocks on a thread of its own, not the pool's.
        await Task.Factory.StartNew(() => Console.In.ReadToEnd(), TaskCreationOptions.LongRunning);
        return 0;
    }

    /// <summary>The client child: the client-calls sequence against the silo that <paramref name="database"/> lists.</summary>
    public static async Task<int> RunClientAsync(string database, TimeSpan duration, int siloProcessId)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddSimpleConsole();
        builder.Services.Configure<ClusterOptions>(options => options.ClusterId = ClusterId);
        builder.Services.UseSqliteMembership(options => options.DataSource = database);
        builder.Services.AddPulseClient();
        using IHost host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<ClusterClient>();
        await TestSilo.WaitUntilAsync(() => client.IsConnected, "the client sees the silo", TimeSpan.FromSeconds(60));
        using var siloCpu = new ProcessCpu(siloProcessId);
        await ClientCallsScenario.RunAsync(
            client.GrainFactory,
            grainCount: 10_000,
            duration,
            "client-calls-split: client process -> silo process over loopback TCP",
            siloCpu);
        await host.StopAsync();
        return 0;
    }

    private static Process StartChild(string? cpu, params string[] arguments)
    {
        // The same program again: the apphost, or dotnet with this assembly.
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown.");
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        List<string> command = [];
        if (cpu is not null)
        {
            command.AddRange(["taskset", "-c", cpu]);
        }

        command.Add(self);
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            command.Add(typeof(SplitClientCallsScenario).Assembly.Location);
        }

        command.AddRange(arguments);
        start.FileName = command[0];
        foreach (string argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {string.Join(' ', command)}.");
    }

    private static async Task<bool> WaitForReadyAsync(Process silo, TimeSpan timeout)
    {
        _ = RelayAsync(silo.StandardError, Console.Error);
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (await silo.StandardOutput.ReadLineAsync(cancel.Token) is { } line)
            {
                if (line == ReadyLine)
                {
                    // Keep draining, so a chatty silo never blocks on a full pipe.
                    _ = RelayAsync(silo.StandardOutput, Console.Out);
                    return true;
                }

                Console.WriteLine(line);
            }
        }
        catch (OperationCanceledException)
        {
        }

        return false;
    }

    private static async Task RelayAsync(StreamReader from, TextWriter to)
    {
        while (await from.ReadLineAsync() is { } line)
        {
            to.WriteLine(line);
        }
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists);
}
