using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Hosting;

namespace Pulse.Gateway.Api.Authentication;

/// <summary>
/// Checks the admin key in constant time: both sides are hashed first, so neither the key's length nor
/// how many leading characters matched shows in the time taken.
/// </summary>
public sealed class AdminKeyVerifier
{
    private readonly byte[]? _adminKeyHash;

    /// <summary>Creates the verifier from the configured admin key.</summary>
    public AdminKeyVerifier(IOptions<GatewayApiOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? key = options.Value.AdminKey;
        _adminKeyHash = string.IsNullOrEmpty(key) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));
    }

    /// <summary>Whether admin routes are enabled.</summary>
    public bool Enabled => _adminKeyHash is not null;

    /// <summary>Whether <paramref name="presented"/> is the admin key.</summary>
    public bool IsAdminKey(string presented)
    {
        ArgumentNullException.ThrowIfNull(presented);
        if (_adminKeyHash is null)
        {
            return false;
        }

        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        return CryptographicOperations.FixedTimeEquals(hash, _adminKeyHash);
    }
}
