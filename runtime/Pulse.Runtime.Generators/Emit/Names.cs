using System.Globalization;
using Microsoft.CodeAnalysis.CSharp;

namespace Pulse.Runtime.Generators.Emit;

/// <summary>Literal and name helpers for emitters.</summary>
internal static class Names
{
    public const string GeneratedCodeAttribute = "[global::System.CodeDom.Compiler.GeneratedCode(\"Pulse.Runtime.Generators\", \"1.0.0\")]";

    public static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

    public static string Hex(uint value) => "0x" + value.ToString("X8", CultureInfo.InvariantCulture) + "u";

    public static string Escape(string identifier) => Analysis.TypeFacts.Escape(identifier);

    public static string XmlEscape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
