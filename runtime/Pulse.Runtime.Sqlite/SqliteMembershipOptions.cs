using Microsoft.Extensions.Options;

namespace Pulse.Runtime.Sqlite;

/// <summary>
/// Options of <see cref="SqliteMembershipTable"/>: the database (which may be the one grain storage
/// uses) and the busy timeout. Set exactly one of the connection string and the data source.
/// </summary>
public sealed class SqliteMembershipOptions : SqliteConnectionOptions
{
}

/// <summary>Validates <see cref="SqliteMembershipOptions"/> at start.</summary>
public sealed class SqliteMembershipOptionsValidator : IValidateOptions<SqliteMembershipOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SqliteMembershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [];
        options.Validate("Pulse:Membership:Sqlite", "UseInMemoryMembership (no other silo would see a private in-memory table)", failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
