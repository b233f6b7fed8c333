using System.Buffers.Text;
using System.Security.Cryptography;
using Pulse.Gateway.Api.Hosting;

namespace Pulse.Silo.Gateway;

/// <summary>Where the single-node admin key came from.</summary>
internal enum AdminKeySource
{
    /// <summary><c>PULSE_ADMIN_KEY</c> / <c>Pulse:Gateway:AdminKey</c>.</summary>
    Configured,

    /// <summary>Read from the key file written by an earlier start.</summary>
    File,

    /// <summary>Generated now and written to the key file.</summary>
    Generated,
}

/// <summary>
/// The single-node admin key: the configured one when set, else a random key generated on the first
/// start into <c>&lt;data dir&gt;/admin-key</c>, readable by the owner only (0600), and reused afterwards.
/// </summary>
internal static class AdminKeyFile
{
    /// <summary>The key file's name in the data directory.</summary>
    public const string FileName = "admin-key";

    public static (string Key, AdminKeySource Source, string Path) Resolve(string? configuredKey, string dataDirectory)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetFullPath(dataDirectory), FileName);
        if (!string.IsNullOrEmpty(configuredKey))
        {
            return (configuredKey, AdminKeySource.Configured, path);
        }

        if (TryRead(path, out string? existing))
        {
            return (existing, AdminKeySource.File, path);
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        string key = "pa_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            // Created with 0600 from the start: the key is never readable by others, not even briefly.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using var writer = new StreamWriter(path, options);
            writer.Write(key);
        }
        catch (IOException) when (TryRead(path, out string? raced))
        {
            // Another process created it first: use that one.
            return (raced, AdminKeySource.File, path);
        }

        return (key, AdminKeySource.Generated, path);
    }

    private static bool TryRead(string path, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? key)
    {
        key = null;
        if (!File.Exists(path))
        {
            return false;
        }

        string text = File.ReadAllText(path).Trim();
        if (text.Length < GatewayApiOptions.MinAdminKeyLength)
        {
            throw new InvalidOperationException($"The admin key file {path} holds no valid key (at least {GatewayApiOptions.MinAdminKeyLength} characters); delete it to generate a new one.");
        }

        key = text;
        return true;
    }
}
