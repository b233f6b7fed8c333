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

/// <summary>
/// Settings of the silo process, bound from the <c>Pulse:Silo</c> section (appsettings.json,
/// <c>Pulse__Silo__HttpUrl</c>-style environment variables, <c>--Pulse:Silo:HttpUrl=</c> arguments) and
/// from the short <c>PULSE_*</c> variables listed in the README.
/// </summary>
public sealed class SiloHostOptions
{
    /// <summary>Default <see cref="HttpUrl"/>: loopback only, so a fresh start exposes nothing.</summary>
    public const string DefaultHttpUrl = "http://127.0.0.1:8080";

    /// <summary>Default <see cref="DataDirectory"/>.</summary>
    public const string DefaultDataDirectory = "./data";

    /// <summary>Where the silo serves health endpoints (and, later, the dashboard).</summary>
    public string HttpUrl { get; set; } = DefaultHttpUrl;

    /// <summary>Folder for embedded storage (SQLite database file).</summary>
    public string DataDirectory { get; set; } = DefaultDataDirectory;

    /// <summary>Storage provider selection.</summary>
    public SiloStorageProvider Storage { get; set; } = SiloStorageProvider.Auto;

    /// <summary>PostgreSQL connection string (a secret: never logged in clear).</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Time the host gives the silo to deactivate grains and write state on shutdown.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>The provider actually used once <see cref="SiloStorageProvider.Auto"/> is resolved.</summary>
    public SiloStorageProvider EffectiveStorage => Storage switch
    {
        SiloStorageProvider.Auto => string.IsNullOrWhiteSpace(PostgresConnectionString) ? SiloStorageProvider.Sqlite : SiloStorageProvider.Postgres,
        _ => Storage,
    };

    /// <summary>The SQLite database file.</summary>
    public string SqlitePath => Path.Combine(Path.GetFullPath(DataDirectory), "pulse.db");
}

/// <summary>Validates <see cref="SiloHostOptions"/> at start-up.</summary>
public sealed class SiloHostOptionsValidator : IValidateOptions<SiloHostOptions>
{
    public ValidateOptionsResult Validate(string? name, SiloHostOptions options)
    {
        List<string> failures = [];
        if (!Uri.TryCreate(options.HttpUrl, UriKind.Absolute, out Uri? url) || url.Scheme is not ("http" or "https"))
        {
            failures.Add($"Pulse:Silo:HttpUrl must be an absolute http(s) URL; got '{options.HttpUrl}'.");
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

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
