using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Pulse.Runtime.Testing;

/// <summary>
/// Finds the PostgreSQL server binaries and runs them, as the <c>postgres</c> OS user when this
/// process is root (initdb and postgres refuse to run as root).
/// </summary>
internal sealed class PostgresBinaries
{
    /// <summary>The OS user that runs the server when the tests run as root.</summary>
    public const string ServiceUser = "postgres";

    private const string NotFoundMessage =
        "PostgreSQL server binaries (initdb, pg_ctl) not found; install the 'postgresql' package " +
        "(apt-get install -y postgresql) or put them on PATH.";

    private PostgresBinaries(string initdb, string pgCtl, bool runAsServiceUser)
    {
        InitDb = initdb;
        PgCtl = pgCtl;
        RunAsServiceUser = runAsServiceUser;
    }

    /// <summary>The path of <c>initdb</c>.</summary>
    public string InitDb { get; }

    /// <summary>The path of <c>pg_ctl</c>.</summary>
    public string PgCtl { get; }

    /// <summary>Whether commands run through <c>runuser -u postgres --</c>.</summary>
    public bool RunAsServiceUser { get; }

    /// <summary>Finds the binaries: on PATH first, else the highest version under /usr/lib/postgresql.</summary>
    /// <exception cref="InvalidOperationException">They are not installed; the message says how to install them.</exception>
    public static async Task<PostgresBinaries> LocateAsync(CancellationToken cancellationToken)
    {
        (string InitDb, string PgCtl)? found = FindOnPath() ?? FindInDebianLayout();
        if (found is null)
        {
            throw new InvalidOperationException(NotFoundMessage);
        }

        bool root = await IsRootAsync(cancellationToken).ConfigureAwait(false);
        if (root && !await UserExistsAsync(ServiceUser, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException(
                $"The tests run as root, and PostgreSQL refuses to run as root, but there is no '{ServiceUser}' OS user to run it as. " +
                "Install the 'postgresql' package (it creates the user) or run the tests as an ordinary user.");
        }

        return new PostgresBinaries(found.Value.InitDb, found.Value.PgCtl, root);
    }

    /// <summary>Runs initdb or pg_ctl (as the service user when root) and returns its output; throws with the output if it fails.</summary>
    public async Task<string> RunAsync(string executable, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        List<string> argv = [];
        string fileName = executable;
        if (RunAsServiceUser)
        {
            fileName = "runuser";
            argv.AddRange(["-u", ServiceUser, "--", executable]);
        }

        argv.AddRange(arguments);
        ProcessResult result = await RunProcessAsync(fileName, argv, workingDirectory, timeout, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{Path.GetFileName(executable)} {string.Join(' ', arguments)}' failed with exit code {result.ExitCode}:{Environment.NewLine}{result.Output}");
        }

        return result.Output;
    }

    /// <summary>Gives the service user a folder the tests created (only needed when root).</summary>
    public async Task GrantAsync(string directory, CancellationToken cancellationToken)
    {
        if (!RunAsServiceUser)
        {
            return;
        }

        ProcessResult result = await RunProcessAsync("chown", ["-R", $"{ServiceUser}:", directory], directory, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"chown of {directory} to {ServiceUser} failed: {result.Output}");
        }
    }

    /// <summary>Runs a process to completion, collecting stdout and stderr; kills it when it outlives <paramref name="timeout"/>.</summary>
    public static async Task<ProcessResult> RunProcessAsync(
        string fileName, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // The server must speak plain messages whatever the test machine's locale is.
        startInfo.Environment["LC_ALL"] = "C";

        using var process = new Process { StartInfo = startInfo };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"'{fileName} {string.Join(' ', arguments)}' did not finish within {timeout}:{Environment.NewLine}{Read(output)}");
        }

        // The parameterless overload waits until the redirected streams are drained.
        process.WaitForExit();
        return new ProcessResult(process.ExitCode, Read(output));
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Read(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static (string, string)? FindOnPath()
    {
        string? path = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        foreach (string directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string initdb = Path.Combine(directory, "initdb");
            if (!File.Exists(initdb))
            {
                continue;
            }

            // Prefer the pg_ctl next to the real initdb (PATH often holds symlinks), so the versions match.
            string realDirectory = Path.GetDirectoryName(File.ResolveLinkTarget(initdb, returnFinalTarget: true)?.FullName ?? initdb) ?? directory;
            foreach (string candidate in new[] { Path.Combine(realDirectory, "pg_ctl"), Path.Combine(directory, "pg_ctl") })
            {
                if (File.Exists(candidate))
                {
                    return (initdb, candidate);
                }
            }
        }

        return null;
    }

    private static (string, string)? FindInDebianLayout()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        // Highest major version first; the folder names are numbers ("15", "16", "9.6").
        IEnumerable<string> versions = Directory.GetDirectories(root)
            .Select(d => (Path: d, Version: decimal.TryParse(Path.GetFileName(d), NumberStyles.Number, CultureInfo.InvariantCulture, out decimal v) ? v : -1))
            .Where(v => v.Version >= 0)
            .OrderByDescending(v => v.Version)
            .Select(v => v.Path);
        foreach (string version in versions)
        {
            string initdb = Path.Combine(version, "bin", "initdb");
            string pgCtl = Path.Combine(version, "bin", "pg_ctl");
            if (File.Exists(initdb) && File.Exists(pgCtl))
            {
                return (initdb, pgCtl);
            }
        }

        return null;
    }

    private static async Task<bool> IsRootAsync(CancellationToken cancellationToken)
    {
        if (string.Equals(Environment.UserName, "root", StringComparison.Ordinal))
        {
            return true;
        }

        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        ProcessResult result = await RunProcessAsync("id", ["-u"], Path.GetTempPath(), TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0 && result.Output.Trim() == "0";
    }

    private static async Task<bool> UserExistsAsync(string user, CancellationToken cancellationToken)
    {
        ProcessResult result = await RunProcessAsync("id", ["-u", user], Path.GetTempPath(), TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0;
    }
}

/// <summary>The exit code and the combined stdout and stderr of a process.</summary>
internal readonly record struct ProcessResult(int ExitCode, string Output);
