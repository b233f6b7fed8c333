using Microsoft.Extensions.Options;

namespace Pulse.Silo.Hosting;

/// <summary>Which grain storage the silo host uses.</summary>
public enum SiloStorageProvider
{
    /// <summary>PostgreSQL when a connection string is configured, SQLite otherwise.</summary>
    Auto,

    /// <summary>Embedded SQLite under <see cref="SiloHostOptions.DataDirectory"/>.</summary>
    Sqlite,

    /// <summary>PostgreSQL at <see cref="SiloHostOptions.PostgresConnectionString"/>.</summary>
    Postgres,

    /// <summary>In memory: lost when the process exits (tests, demos).</summary>
    Memory,
}

/// <summary>Which membership table makes the silo a cluster member.</summary>
public enum SiloMembershipProvider
{
    /// <summary>PostgreSQL when a connection string is configured, none (a single silo) otherwise.</summary>
    Auto,

    /// <summary>No cluster: the silo runs alone and opens no silo or client port.</summary>
    None,

    /// <summary>A SQLite table shared by the silos of one host (<see cref="SiloHostOptions.SqliteMembershipPath"/>).</summary>
    Sqlite,

    /// <summary>A PostgreSQL table at <see cref="SiloHostOptions.PostgresConnectionString"/>.</summary>
    Postgres,
}

/// <summary>
/// Settings of the silo process, bound from the <c>Pulse:Silo</c> section (appsettings.json,
/// <c>Pulse__Silo__HttpUrl</c>-style environment variables, <c>--Pulse:Silo:HttpUrl=</c> arguments) and
/// from the short <c>PULSE_*</c> variables listed in the README.
/// </summary>
public sealed class SiloHostOptions
{
    /// <summary>Default <see cref="HttpUrl"/>: loopback only, so a fresh start exposes nothing.</summary>
    public const string DefaultHttpUrl = "http://127.0.0.1:8080";

    /// <summary>Where a single-node silo serves the gateway API unless <see cref="GatewayUrl"/> says otherwise.</summary>
    public const string DefaultGatewayUrl = "http://127.0.0.1:5080";

    /// <summary>Default <see cref="DataDirectory"/>.</summary>
    public const string DefaultDataDirectory = "./data";

    /// <summary>Where the silo serves health endpoints (and, later, the dashboard).</summary>
    public string HttpUrl { get; set; } = DefaultHttpUrl;

    /// <summary>
    /// Where this silo also serves the gateway API (REST, OpenAPI, its own health endpoints), as a second web
    /// application in the process. Null (not set): <see cref="DefaultGatewayUrl"/> for a silo that is not a
    /// cluster member, off for a member. Empty: off. A URL: on, also for a member.
    /// </summary>
    public string? GatewayUrl { get; set; }

    /// <summary>The gateway URL in effect, or null when the embedded gateway is off.</summary>
    public string? EffectiveGatewayUrl => GatewayUrl switch
    {
        null => IsClusterMember ? null : DefaultGatewayUrl,
        _ when string.IsNullOrWhiteSpace(GatewayUrl) => null,
        _ => GatewayUrl.Trim(),
    };

    /// <summary>Folder for embedded storage (SQLite database file) and the generated admin key.</summary>
    public string DataDirectory { get; set; } = DefaultDataDirectory;

    /// <summary>Storage provider selection.</summary>
    public SiloStorageProvider Storage { get; set; } = SiloStorageProvider.Auto;

    /// <summary>PostgreSQL connection string (a secret: never logged in clear).</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Default <see cref="ShutdownTimeout"/>: 45 seconds.</summary>
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(45);

    /// <summary>
    /// Shortest <see cref="ShutdownTimeout"/> accepted for a cluster member: leaving waits up to 10 s for
    /// calls that other nodes still route here, on top of deactivating grains and two table writes.
    /// </summary>
    public static readonly TimeSpan MinClusterShutdownTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Time the host gives the silo to stop: publish ShuttingDown, deactivate grains (state written),
    /// drain calls still routed here, and write Dead. Kubernetes' terminationGracePeriodSeconds must exceed it.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = DefaultShutdownTimeout;

    /// <summary>Membership table selection; a silo with a table joins that table's cluster.</summary>
    public SiloMembershipProvider Membership { get; set; } = SiloMembershipProvider.Auto;

    /// <summary>
    /// SQLite membership database file for <see cref="SiloMembershipProvider.Sqlite"/>; every silo of the
    /// cluster must name the same file. Null means <c>membership.db</c> in <see cref="DataDirectory"/>.
    /// </summary>
    public string? SqliteMembershipFile { get; set; }

    /// <summary>
    /// Paths of extra assemblies (.dll) whose grain classes this silo hosts, besides Pulse.Grains: loaded
    /// into the default load context at start, their dependencies resolved from their own folder.
    /// Relative paths are relative to the working directory.
    /// </summary>
    public List<string> GrainAssemblies { get; set; } = [];

    /// <summary>The provider actually used once <see cref="SiloStorageProvider.Auto"/> is resolved.</summary>
    public SiloStorageProvider EffectiveStorage => Storage switch
    {
        SiloStorageProvider.Auto => string.IsNullOrWhiteSpace(PostgresConnectionString) ? SiloStorageProvider.Sqlite : SiloStorageProvider.Postgres,
        _ => Storage,
    };

    /// <summary>The membership table actually used once <see cref="SiloMembershipProvider.Auto"/> is resolved.</summary>
    public SiloMembershipProvider EffectiveMembership => Membership switch
    {
        SiloMembershipProvider.Auto => string.IsNullOrWhiteSpace(PostgresConnectionString) ? SiloMembershipProvider.None : SiloMembershipProvider.Postgres,
        _ => Membership,
    };

    /// <summary>Whether the silo joins a cluster.</summary>
    public bool IsClusterMember => EffectiveMembership != SiloMembershipProvider.None;

    /// <summary>The SQLite membership database file in effect.</summary>
    public string SqliteMembershipPath => Path.GetFullPath(SqliteMembershipFile ?? Path.Combine(DataDirectory, "membership.db"));

    /// <summary>The port of <see cref="HttpUrl"/>, or 0 when it is not a valid URL.</summary>
    public int HttpPort => Uri.TryCreate(HttpUrl, UriKind.Absolute, out Uri? url) ? url.Port : 0;

    /// <summary>The SQLite database file.</summary>
    public string SqlitePath => Path.Combine(Path.GetFullPath(DataDirectory), "pulse.db");
}

/// <summary>Validates <see cref="SiloHostOptions"/> at start-up.</summary>
public sealed class SiloHostOptionsValidator : IValidateOptions<SiloHostOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SiloHostOptions options)
    {
        List<string> failures = [];
        if (!Uri.TryCreate(options.HttpUrl, UriKind.Absolute, out Uri? url) || url.Scheme is not ("http" or "https"))
        {
            failures.Add($"Pulse:Silo:HttpUrl must be an absolute http(s) URL; got '{options.HttpUrl}'.");
        }

        if (!string.IsNullOrWhiteSpace(options.GatewayUrl))
        {
            if (!Uri.TryCreate(options.GatewayUrl.Trim(), UriKind.Absolute, out Uri? gateway) || gateway.Scheme is not ("http" or "https"))
            {
                failures.Add($"Pulse:Silo:GatewayUrl (PULSE_GATEWAY_URL) must be an absolute http(s) URL, or empty to turn the gateway off; got '{options.GatewayUrl}'.");
            }
            else if (url is not null && gateway.Port == url.Port && gateway.Port != 0)
            {
                failures.Add($"Pulse:Silo:GatewayUrl must use another port than Pulse:Silo:HttpUrl ({url.Port}).");
            }
        }

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add("Pulse:Silo:DataDirectory must not be empty.");
        }

        if (options.EffectiveStorage == SiloStorageProvider.Postgres && string.IsNullOrWhiteSpace(options.PostgresConnectionString))
        {
            failures.Add("Pulse:Silo:Storage is Postgres but Pulse:Silo:PostgresConnectionString (PULSE_POSTGRES) is not set.");
        }

        if (options.ShutdownTimeout <= TimeSpan.Zero)
        {
            failures.Add("Pulse:Silo:ShutdownTimeout must be positive.");
        }
        else if (options.IsClusterMember && options.ShutdownTimeout < SiloHostOptions.MinClusterShutdownTimeout)
        {
            // Cut short, the silo would die before writing Dead and the others would have to detect it.
            failures.Add($"Pulse:Silo:ShutdownTimeout must be at least {SiloHostOptions.MinClusterShutdownTimeout} for a cluster member, to leave the cluster gracefully.");
        }

        if (options.EffectiveMembership == SiloMembershipProvider.Postgres && string.IsNullOrWhiteSpace(options.PostgresConnectionString))
        {
            failures.Add("Pulse:Silo:Membership is Postgres but Pulse:Silo:PostgresConnectionString (PULSE_POSTGRES) is not set.");
        }

        if (options.EffectiveMembership == SiloMembershipProvider.Sqlite && string.IsNullOrWhiteSpace(options.SqliteMembershipFile) && string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add("Pulse:Silo:SqliteMembershipFile or DataDirectory must be set for SQLite membership.");
        }

        foreach (string path in options.GrainAssemblies ?? [])
        {
            if (string.IsNullOrWhiteSpace(path) || !path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) || !File.Exists(path))
            {
                failures.Add($"Pulse:Silo:GrainAssemblies: '{path}' is not an existing .dll file.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
