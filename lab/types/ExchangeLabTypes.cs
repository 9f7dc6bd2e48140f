// Exception types named like Exchange 2010's own, so that an ErrorRecord's CategoryInfo.Reason and
// Exception.GetType().Name read exactly as they do through a real remote Exchange session, plus one
// helper that gives an ErrorRecord an exact FullyQualifiedErrorId (Exchange's "<hex>,<task class>"), and the
// state file's I/O.
// Kept to C# 5 syntax: Windows PowerShell 5.1 compiles it with the old CodeDom compiler.
using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Text;
using System.Threading;

namespace Microsoft.Exchange.Data.Common
{
    public class LocalizedException : Exception
    {
        public LocalizedException(string message) : base(message) { }
        public LocalizedException(string message, Exception inner) : base(message, inner) { }
    }
}

namespace Microsoft.Exchange.Data
{
    public class DataSourceOperationException : Microsoft.Exchange.Data.Common.LocalizedException
    {
        public DataSourceOperationException(string message) : base(message) { }
    }

    public class DataValidationException : Microsoft.Exchange.Data.Common.LocalizedException
    {
        public DataValidationException(string message) : base(message) { }
    }
}

namespace Microsoft.Exchange.Data.Directory
{
    public class ADOperationException : Microsoft.Exchange.Data.DataSourceOperationException
    {
        public ADOperationException(string message) : base(message) { }
    }

    public class ADObjectAlreadyExistsException : ADOperationException
    {
        public ADObjectAlreadyExistsException(string message) : base(message) { }
    }

    public class ADTransientException : Microsoft.Exchange.Data.Common.LocalizedException
    {
        public ADTransientException(string message) : base(message) { }
    }
}

namespace Microsoft.Exchange.Configuration.Tasks
{
    public class ManagementObjectNotFoundException : Microsoft.Exchange.Data.DataSourceOperationException
    {
        public ManagementObjectNotFoundException(string message) : base(message) { }
    }

    public class ManagementObjectAmbiguousException : Microsoft.Exchange.Data.DataSourceOperationException
    {
        public ManagementObjectAmbiguousException(string message) : base(message) { }
    }

    public class TaskException : Microsoft.Exchange.Data.Common.LocalizedException
    {
        public TaskException(string message) : base(message) { }
    }
}

namespace ExchangeLab
{
    public static class ErrorRecordFactory
    {
        // PowerShell appends ",<command name>" to the id of every error a function writes. Exchange's
        // ids end in the task class instead, and a remote error keeps the id it was sent with; that
        // frozen id lives in the private field below, which both PowerShell 5.1 and 7 read first.
        public static ErrorRecord Create(Exception exception, string fullyQualifiedErrorId, ErrorCategory category, object target)
        {
            ErrorRecord record = new ErrorRecord(exception, fullyQualifiedErrorId, category, target);
            FieldInfo field = typeof(ErrorRecord).GetField("_serializedFullyQualifiedErrorId", BindingFlags.Instance | BindingFlags.NonPublic);
            if (field != null)
            {
                field.SetValue(record, fullyQualifiedErrorId);
            }
            return record;
        }
    }

    // An Exchange ServerIdParameter (and the array/CAS-or-array parameters built on it) is made from
    // the string by PowerShell's argument conversion, and refuses one that is not a GUID, a DN, a
    // legacyDN, a server name or an FQDN of such names. A name may not contain a space or any of
    // ` ~ ! @ # & ^ ( ) + [ ] { } < > ? = , : | . / \ ; (LAB-FIDELITY I1). Thrown from a transformation
    // attribute, PowerShell reports it as Exchange's is reported: ParameterBindingArgumentTransformationException,
    // FullyQualifiedErrorId ParameterArgumentTransformationError,<cmdlet>, category InvalidData; per
    // item for pipeline input, terminating the statement for a command-line argument.
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
    public sealed class ServerIdentityAttribute : ArgumentTransformationAttribute
    {
        private static readonly System.Text.RegularExpressions.Regex NamePattern = new System.Text.RegularExpressions.Regex(
            "^[^ `~!@#&^()+\\[\\]{}<>?=,:|./\\\\;]+\\z", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        private static readonly System.Text.RegularExpressions.Regex DnPattern = new System.Text.RegularExpressions.Regex(
            "^(CN|OU|DC)=[^,]+(,\\s*(CN|OU|DC)=[^,]+)*\\z", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

        public ServerIdentityAttribute(string typeName)
        {
            TypeName = typeName;
        }

        public string TypeName { get; private set; }

        public static bool IsValid(string identity)
        {
            if (identity == null) return false;
            Guid guid;
            if (Guid.TryParse(identity, out guid)) return true;
            if (DnPattern.IsMatch(identity)) return true;
            if (identity.StartsWith("/o=", StringComparison.OrdinalIgnoreCase)) return true;
            if (NamePattern.IsMatch(identity)) return true;
            string fqdn = identity.EndsWith(".", StringComparison.Ordinal) ? identity.Substring(0, identity.Length - 1) : identity;
            string[] labels = fqdn.Split('.');
            if (labels.Length < 2) return false;
            foreach (string label in labels)
            {
                if (!NamePattern.IsMatch(label)) return false;
            }
            return true;
        }

        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            object value = inputData;
            PSObject wrapped = value as PSObject;
            if (wrapped != null) value = wrapped.BaseObject;
            string text = value as string;
            // PowerShell also runs the attribute on an unbound parameter's default ('' for [string]).
            if (string.IsNullOrEmpty(text) || IsValid(text)) return inputData;
            throw new ArgumentTransformationMetadataException(string.Format(
                "Cannot convert value \"{0}\" to type \"{1}\". Error: \"'{0}' is not a valid value for the identity.\r\nParameter name: identity\"",
                text, TypeName));
        }
    }

    // State file I/O whose expected failures (lock taken, file renamed under a reader) stay in C#.
    // Caught in PowerShell they would still land in $Error and in the caller's -ErrorVariable,
    // which is exactly where the provider looks for Exchange errors.
    public static class StateFile
    {
        // The open lock file, exclusively ours; null while another process holds it.
        public static FileStream TryLock(string lockPath)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
        }

        // The whole file, read while writers may rename over it; null when it does not exist.
        public static string ReadText(string path)
        {
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    using (FileStream stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                    using (StreamReader reader = new StreamReader(stream, new UTF8Encoding(false), true))
                    {
                        return reader.ReadToEnd();
                    }
                }
                catch (FileNotFoundException) { return null; }
                catch (DirectoryNotFoundException) { return null; }
                catch (IOException) { if (attempt >= 50) throw; Thread.Sleep(20); }
                catch (UnauthorizedAccessException) { if (attempt >= 50) throw; Thread.Sleep(20); }
            }
        }

        // Writes a temp file in the same folder and renames it over path (atomic on NTFS and POSIX).
        // Retries while a Windows reader still has the old file open.
        public static void WriteAtomic(string path, string text)
        {
            WriteAtomic(path, new UTF8Encoding(false).GetBytes(text));
        }

        public static void WriteAtomic(string path, byte[] bytes)
        {
            WriteAtomic(path, bytes, bytes.Length);
        }

        // Writes bytes[0..count) as above.
        public static void WriteAtomic(string path, byte[] bytes, int count)
        {
            string folder = Path.GetDirectoryName(Path.GetFullPath(path));
            string temp = Path.Combine(folder, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
            using (FileStream stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes, 0, count);
            }
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    if (File.Exists(path)) { File.Replace(temp, path, null); }
                    else { File.Move(temp, path); }
                    return;
                }
                catch (IOException)
                {
                    if (attempt >= 100) { TryDelete(temp); throw; }
                    Thread.Sleep(10);
                }
                catch (UnauthorizedAccessException)
                {
                    if (attempt >= 100) { TryDelete(temp); throw; }
                    Thread.Sleep(10);
                }
            }
        }

        private static void TryDelete(string path)
        {
            try { File.Delete(path); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
