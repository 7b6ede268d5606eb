//! Checksums appended to export files so importers can detect truncation.

/// Adler-32 checksum of `data`.
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % MOD;
        b = (b + a) % MOD;
    }
    (b << 16) | a
}

pub struct ExportFooter {
    pub records: usize,
    pub checksum: u32,
}

impl ExportFooter {
    pub fn for_lines(lines: &[String]) -> Self {
        let joined = lines.join("\n");
        ExportFooter { records: lines.len(), checksum: adler32(joined.as_bytes()) }
    }

    pub fn render(&self) -> String {
        format!("# records={} adler32={:08x}", self.records, self.checksum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adler32_of_wikipedia_example() {
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }
}
