using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Npgsql;

namespace Pulse.Runtime.Testing;

/// <summary>
/// A private PostgreSQL server for tests: a fresh cluster (initdb) in a temporary folder, listening
/// only on 127.0.0.1 at a free port, with trust authentication and durability switched off for
/// speed. Tests create a database each with <see cref="CreateDatabaseAsync"/>. Most tests share one
/// server per test process through <see cref="AcquireSharedAsync"/>; a test that restarts the server
/// starts its own with <see cref="StartAsync"/>.
/// </summary>
/// <remarks>
/// Needs the PostgreSQL server binaries (initdb, pg_ctl); without them starting throws, so a missing
/// install fails the tests instead of silently skipping them. As root, the server runs as the
/// <c>postgres</c> OS user.
/// </remarks>
public sealed partial class PostgresTestServer : IAsyncDisposable, IDisposable
{
    /// <summary>The address the server listens on.</summary>
    public const string Host = "127.0.0.1";

    /// <summary>The superuser the tests connect as (trust authentication, no password).</summary>
    public const string Username = "postgres";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly PostgresBinaries _binaries;
    private readonly string _rootDirectory;
    private readonly string _dataDirectory;
    private readonly string _logFile;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _running;
    private bool _disposed;

    private PostgresTestServer(PostgresBinaries binaries, string rootDirectory, int port)
    {
        _binaries = binaries;
        _rootDirectory = rootDirectory;
        _dataDirectory = Path.Combine(rootDirectory, "data");
        _logFile = Path.Combine(rootDirectory, "server.log");
        Port = port;
    }

    /// <summary>The TCP port on <see cref="Host"/>.</summary>
    public int Port { get; }

    /// <summary>The cluster's data folder (inside a temporary folder deleted on dispose).</summary>
    public string DataDirectory => _dataDirectory;

    /// <summary>A connection string to the <c>postgres</c> maintenance database.</summary>
    public string AdminConnectionString => GetConnectionString("postgres");

    /// <summary>Whether this is the process-wide instance handed out by <see cref="AcquireSharedAsync"/>.</summary>
    public bool IsShared { get; private set; }

    /// <summary>Creates a cluster in a new temporary folder and starts it; returns once it accepts connections.</summary>
    /// <exception cref="InvalidOperationException">The binaries are missing, or initdb or the start failed (the message holds their output and the server log).</exception>
    public static async Task<PostgresTestServer> StartAsync(CancellationToken cancellationToken = default)
    {
        PostgresBinaries binaries = await PostgresBinaries.LocateAsync(cancellationToken).ConfigureAwait(false);
        await RemoveAbandonedServersAsync(binaries, cancellationToken).ConfigureAwait(false);

        // Short name: the socket path (folder + "/.s.PGSQL.<port>") must fit in 107 bytes.
        string root = Path.Combine(Path.GetTempPath(), DirectoryPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var server = new PostgresTestServer(binaries, root, FindFreePort());
        try
        {
            server.TakeOwnerLock();
            await binaries.GrantAsync(root, cancellationToken).ConfigureAwait(false);
            await binaries.RunAsync(
                binaries.InitDb,
                ["-D", server._dataDirectory, "-U", Username, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"],
                root,
                CommandTimeout,
                cancellationToken).ConfigureAwait(false);
            await server.StartServerAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A connection string to <paramref name="database"/> on this server.</summary>
    public string GetConnectionString(string database)
    {
        ArgumentException.ThrowIfNullOrEmpty(database);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Username = Username,
            Database = database,
            Timeout = 15,
            IncludeErrorDetail = true,
        };
        return builder.ConnectionString;
    }

    /// <summary>Creates an empty database and returns a connection string to it.</summary>
    /// <param name="name">A lower-case identifier (a-z, 0-9, _), unique on this server.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!DatabaseNamePattern().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a lower-case identifier (a-z, 0-9, _; at most 63 characters).", nameof(name));
        }

        // Serialised: concurrent CREATE DATABASE from the same template can fail while the template is being copied.
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfNotRunning();
            await using var connection = new NpgsqlConnection(AdminConnectionString + ";Pooling=false");
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

            // Identifiers cannot be parameters; the name was checked against the identifier pattern above.
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        return GetConnectionString(name);
    }

    /// <summary>
    /// Stops the server cleanly and starts it again on the same data folder and port, for tests of
    /// "state survives a restart". Connections open before the restart are broken afterwards.
    /// </summary>
    /// <exception cref="InvalidOperationException">This is the shared instance; restarting it would break other tests.</exception>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        if (IsShared)
        {
            throw new InvalidOperationException("The shared PostgreSQL test server cannot be restarted; start a private one with PostgresTestServer.StartAsync().");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfNotRunning();
            _running = false;
            await _binaries.RunAsync(_binaries.PgCtl, ["stop", "-D", _dataDirectory, "-m", "fast", "-w", "-t", "30"], _rootDirectory, CommandTimeout, cancellationToken)
                .ConfigureAwait(false);
            NpgsqlConnection.ClearAllPools();
            await StartServerAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Stops the server at once (<c>pg_ctl stop -m immediate</c>) and deletes its folder. Does nothing
    /// on the shared instance: that stops when its last lease is disposed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (!IsShared)
        {
            await DisposeCoreAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops the server at once and deletes its folder.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task DisposeCoreAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_running)
            {
                _running = false;
                await _binaries.RunAsync(_binaries.PgCtl, ["stop", "-D", _dataDirectory, "-m", "immediate", "-w", "-t", "30"], _rootDirectory, CommandTimeout, CancellationToken.None)
                    .ConfigureAwait(false);
            }

            ReleaseOwnerLock();
            TryDeleteDirectory(_rootDirectory);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        // fsync and friends off: a test server's data need not survive a power cut, and tests run faster.
        string serverOptions = string.Create(
            CultureInfo.InvariantCulture,
            $"-p {Port} -k '{_rootDirectory}' -c listen_addresses={Host} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200");
        try
        {
            await _binaries.RunAsync(
                _binaries.PgCtl,
                ["start", "-D", _dataDirectory, "-l", _logFile, "-w", "-t", ((int)StartTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture), "-o", serverOptions],
                _rootDirectory,
                StartTimeout + TimeSpan.FromSeconds(10),
                cancellationToken).ConfigureAwait(false);
            _running = true;
            await WaitUntilAcceptingConnectionsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new InvalidOperationException(
                $"The PostgreSQL test server on port {Port} did not start: {exception.Message}{Environment.NewLine}Server log (tail):{Environment.NewLine}{ReadLogTail()}",
                exception);
        }
    }

    private async Task WaitUntilAcceptingConnectionsAsync(CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow + StartTimeout;
        string connectionString = AdminConnectionString + ";Pooling=false;Timeout=5";
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or SocketException && DateTime.UtcNow < deadline)
            {
                // pg_ctl -w already waited; this covers the short window before TCP is accepted.
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void ThrowIfNotRunning()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_running)
        {
            throw new InvalidOperationException("The PostgreSQL test server is not running.");
        }
    }

    private string ReadLogTail()
    {
        try
        {
            string[] lines = File.ReadAllLines(_logFile);
            return string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Length - 40)));
        }
        catch (IOException exception)
        {
            return $"(no server log: {exception.Message})";
        }
        catch (UnauthorizedAccessException exception)
        {
            return $"(no server log: {exception.Message})";
        }
    }

    /// <summary>Asks the OS for a free loopback port; the server binds it moments later.</summary>
    private static int FindFreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex DatabaseNamePattern();
}
