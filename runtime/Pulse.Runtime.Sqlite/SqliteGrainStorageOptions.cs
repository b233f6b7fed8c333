using Microsoft.Extensions.Options;

namespace Pulse.Runtime.Sqlite;

/// <summary>Options of <see cref="SqliteGrainStorage"/>. Set exactly one of the connection string and the data source.</summary>
public sealed class SqliteGrainStorageOptions : SqliteConnectionOptions
{
}

/// <summary>Validates <see cref="SqliteGrainStorageOptions"/> at silo start.</summary>
public sealed class SqliteGrainStorageOptionsValidator : IValidateOptions<SqliteGrainStorageOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SqliteGrainStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [];
        options.Validate($"Pulse:Storage:Sqlite:{name}", "AddMemoryGrainStorage", failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
