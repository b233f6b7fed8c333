using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Pulse.GrainInterfaces.Tenants;

namespace Pulse.Gateway.Api.Authentication;

/// <summary>A freshly generated API key: the clear key (shown once) and what the tenant grain stores.</summary>
/// <param name="Key">The whole key: <c>pk_&lt;tenantId&gt;_&lt;keyId&gt;_&lt;secret&gt;</c>. Never logged, never stored.</param>
/// <param name="TenantId">The tenant id inside the key.</param>
/// <param name="KeyId">The key id inside the key.</param>
/// <param name="Prefix">The non-secret start <c>pk_&lt;tenantId&gt;_&lt;keyId&gt;</c>.</param>
/// <param name="Sha256">SHA-256 of the key.</param>
public sealed record GeneratedApiKey(string Key, string TenantId, string KeyId, string Prefix, byte[] Sha256)
{
    /// <summary>What the tenant grain stores: no clear key.</summary>
    public NewApiKey ToStored() => new(KeyId, Prefix, Sha256);
}

/// <summary>
/// The API key format, <c>pk_&lt;tenantId&gt;_&lt;keyId&gt;_&lt;secret&gt;</c>: the tenant id lets the gateway find the
/// tenant grain without a global index, the key id finds the key inside it, and the secret is 32 random
/// bytes in base64url. Ids are lowercase hex, so the first three underscores split the key unambiguously
/// (the secret may itself contain underscores).
/// </summary>
public static class ApiKeys
{
    [ThreadStatic]
    private static char[]? t_lastKey;

    [ThreadStatic]
    private static byte[]? t_lastHash;

    /// <summary>Every key starts with this.</summary>
    public const string KeyPrefix = "pk_";

    /// <summary>Length of a tenant id (16 hex characters, 64 random bits).</summary>
    public const int TenantIdLength = 16;

    /// <summary>Length of a key id (12 hex characters).</summary>
    public const int KeyIdLength = 12;

    /// <summary>Random bytes in a secret.</summary>
    public const int SecretBytes = 32;

    /// <summary>Length of a whole key.</summary>
    public static readonly int KeyLength = KeyPrefix.Length + TenantIdLength + 1 + KeyIdLength + 1 + Base64Url.GetEncodedLength(SecretBytes);

    /// <summary>A new random tenant id.</summary>
    public static string NewTenantId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(TenantIdLength / 2));

    /// <summary>Generates a key for <paramref name="tenantId"/>.</summary>
    public static GeneratedApiKey Create(string tenantId)
    {
        if (!IsTenantId(tenantId))
        {
            throw new ArgumentException("Not a tenant id.", nameof(tenantId));
        }

        string keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(KeyIdLength / 2));
        string secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes));
        string prefix = $"{KeyPrefix}{tenantId}_{keyId}";
        string key = $"{prefix}_{secret}";
        return new GeneratedApiKey(key, tenantId, keyId, prefix, Hash(key));
    }

    /// <summary>SHA-256 of a key's UTF-8 bytes.</summary>
    public static byte[] Hash(ReadOnlySpan<char> key)
    {
        byte[] hash = new byte[SHA256.HashSizeInBytes];
        Hash(key, hash);
        return hash;
    }

    /// <summary>Writes the SHA-256 of the key's UTF-8 bytes to <paramref name="destination"/> (32 bytes).</summary>
    public static void Hash(ReadOnlySpan<char> key, Span<byte> destination)
    {
        Span<byte> utf8 = key.Length <= 256 ? stackalloc byte[key.Length * 3] : new byte[key.Length * 3];
        int length = Encoding.UTF8.GetBytes(key, utf8);
        SHA256.HashData(utf8[..length], destination);
    }

    /// <summary>
    /// <see cref="Hash(ReadOnlySpan{char}, Span{byte})"/>, remembering this thread's last key and hash: a thread
    /// serves the same few keys over and over, and SHA-256 through OpenSSL was about 4% of a single check's CPU.
    /// The key is compared in constant time: the remembered one is valid (or was presented as one), and an
    /// early-exit comparison would tell a caller how much of it they had guessed.
    /// </summary>
    public static void HashRecent(ReadOnlySpan<char> key, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, SHA256.HashSizeInBytes, nameof(destination));
        char[]? lastKey = t_lastKey;
        if (lastKey is not null && FixedTimeEquals(lastKey, key))
        {
            t_lastHash!.CopyTo(destination);
            return;
        }

        Hash(key, destination);
        if (lastKey is null || lastKey.Length != key.Length)
        {
            // Keys have one length, so this allocates once per thread; other tokens are not remembered.
            if (key.Length != KeyLength)
            {
                return;
            }

            t_lastKey = lastKey = new char[key.Length];
        }

        key.CopyTo(lastKey);
        destination[..SHA256.HashSizeInBytes].CopyTo(t_lastHash ??= new byte[SHA256.HashSizeInBytes]);
    }

    // CryptographicOperations.FixedTimeEquals is compiled without optimization on purpose, which made it about
    // 0.3 µs for a key here; this compares eight bytes at a time, still with no branch on the data.
    private static bool FixedTimeEquals(ReadOnlySpan<char> left, ReadOnlySpan<char> right)
    {
        if (left.Length != right.Length)
        {
            return false;
        }

        ReadOnlySpan<byte> x = MemoryMarshal.AsBytes(left);
        ReadOnlySpan<byte> y = MemoryMarshal.AsBytes(right);
        ulong difference = 0;
        int i = 0;
        for (; i + sizeof(ulong) <= x.Length; i += sizeof(ulong))
        {
            difference |= MemoryMarshal.Read<ulong>(x[i..]) ^ MemoryMarshal.Read<ulong>(y[i..]);
        }

        for (; i < x.Length; i++)
        {
            difference |= (uint)(x[i] ^ y[i]);
        }

        return difference == 0;
    }

    /// <summary>Splits a presented key; false when it does not have the key format.</summary>
    public static bool TryParse(ReadOnlySpan<char> key, out string tenantId, out string keyId)
    {
        if (!IsWellFormed(key))
        {
            tenantId = string.Empty;
            keyId = string.Empty;
            return false;
        }

        ReadOnlySpan<char> rest = key[KeyPrefix.Length..];
        tenantId = rest[..TenantIdLength].ToString();
        keyId = rest.Slice(TenantIdLength + 1, KeyIdLength).ToString();
        return true;
    }

    /// <summary>Whether <paramref name="key"/> has the shape <see cref="TryParse"/> accepts, without reading its parts out.</summary>
    public static bool IsWellFormed(ReadOnlySpan<char> key)
    {
        if (key.Length != KeyLength || !key.StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> rest = key[KeyPrefix.Length..];
        return rest[TenantIdLength] == '_' && rest[TenantIdLength + 1 + KeyIdLength] == '_'
            && IsLowerHex(rest[..TenantIdLength]) && IsLowerHex(rest.Slice(TenantIdLength + 1, KeyIdLength));
    }

    /// <summary>Whether <paramref name="value"/> looks like a tenant id.</summary>
    public static bool IsTenantId(string? value) => value is { Length: TenantIdLength } && IsLowerHex(value);

    /// <summary>Whether <paramref name="value"/> looks like a key id.</summary>
    public static bool IsKeyId(string? value) => value is { Length: KeyIdLength } && IsLowerHex(value);

    private static bool IsLowerHex(ReadOnlySpan<char> value)
    {
        foreach (char c in value)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }
}
