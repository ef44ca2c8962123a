//! The rows of an import file, read with bounded memory.
//!
//! The csv crate's reader grows its record until the record ends: a file
//! with one 200 MB cell held 2.9 GB while it was parsed and written. This
//! reader runs the same parser (csv-core, the csv crate's own) into
//! fixed buffers: a row may hold [`MAX_ROW`] bytes in at most
//! [`MAX_COLUMNS`] columns, a cell [`MAX_CELL`] bytes. A row over a limit
//! is parsed on to its end with its bytes thrown away, so it costs no more
//! memory than a good one, and is reported by line and column; the rows
//! after it are read as usual.
//!
//! The lines and rules match the csv crate's reader as the import used it:
//! the line a row starts on, a leading byte-order mark skipped, every row
//! as wide as the header, UTF-8 only, cells trimmed.

use std::io::{BufRead, BufReader, Read};

use csv_core::ReadRecordResult;

/// The most bytes one cell may hold.
pub const MAX_CELL: usize = 64 * 1024;
/// The most bytes the cells of one row may hold together.
pub const MAX_ROW: usize = 256 * 1024;
/// The most columns a row may have.
pub const MAX_COLUMNS: usize = 1024;

/// Why a row was not read. Columns count from 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowError {
    CellTooLong { column: usize },
    RowTooLong { column: usize },
    TooManyColumns,
    NotUtf8 { column: usize },
    Width { len: usize, expected: usize },
}

/// One row: the line it starts on, and its trimmed cells or why not.
pub struct Row {
    pub line: u64,
    pub cells: Result<csv::StringRecord, RowError>,
}

/// Reads rows from a file, the first being the header.
pub struct Records<R> {
    input: BufReader<R>,
    core: csv_core::Reader,
    /// The cells of the row being read, one after the other.
    out: Vec<u8>,
    /// Where each cell ends in `out`.
    ends: Vec<usize>,
    /// Bytes of the file read so far.
    byte: u64,
    /// The header's width, once read.
    width: Option<usize>,
    /// Line breaks skipped before rows (see [`Records::skip_line_breaks`]).
    skipped_lines: u64,
}

impl<R: Read> Records<R> {
    pub fn new(input: R, delimiter: u8) -> Records<R> {
        Records {
            input: BufReader::with_capacity(64 * 1024, input),
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            // One more than the limit: a full buffer means over it.
            out: vec![0; MAX_ROW + 1],
            ends: vec![0; MAX_COLUMNS],
            byte: 0,
            width: None,
            skipped_lines: 0,
        }
    }

    /// Bytes of the file read so far.
    pub fn byte(&self) -> u64 {
        self.byte
    }

    /// The next row, `None` at the end of the file.
    pub fn next_row(&mut self) -> std::io::Result<Option<Row>> {
        self.skip_line_breaks()?;
        let line = self.core.line() + self.skipped_lines;
        let (mut outlen, mut endlen) = (0, 0);
        let mut over: Option<RowError> = None;
        loop {
            let input = self.input.fill_buf()?;
            let (res, nin, nout, nend) = if over.is_none() {
                self.core
                    .read_record(input, &mut self.out[outlen..], &mut self.ends[endlen..])
            } else {
                // Over a limit: parse on to the row's end, keeping nothing.
                self.core.read_record(input, &mut self.out, &mut self.ends)
            };
            self.input.consume(nin);
            self.byte += nin as u64;
            if over.is_none() {
                outlen += nout;
                endlen += nend;
            }
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {
                    if over.is_none() {
                        over = Some(self.overflow(&res, outlen, endlen));
                    }
                }
                ReadRecordResult::Record => {
                    let cells = match over {
                        Some(e) => Err(e),
                        None => self.cells(endlen),
                    };
                    return Ok(Some(Row { line, cells }));
                }
                ReadRecordResult::End => return Ok(None),
            }
        }
    }

    /// Takes the line breaks before a row (blank lines, the `\n` of a
    /// `\r\n` that ended the last row) off the input, counting them. The
    /// parser skips them too, but inside its next row: the line it is on
    /// before that row would be one early (as the csv crate's is).
    fn skip_line_breaks(&mut self) -> std::io::Result<()> {
        loop {
            let input = self.input.fill_buf()?;
            let n = input
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            if n == 0 {
                return Ok(());
            }
            self.skipped_lines += input[..n].iter().filter(|b| **b == b'\n').count() as u64;
            self.input.consume(n);
            self.byte += n as u64;
        }
    }

    /// Which limit a row ran into, named by the cell being read.
    fn overflow(&self, res: &ReadRecordResult, outlen: usize, endlen: usize) -> RowError {
        if *res == ReadRecordResult::OutputEndsFull {
            return RowError::TooManyColumns;
        }
        let start = endlen.checked_sub(1).map_or(0, |i| self.ends[i]);
        if outlen - start > MAX_CELL {
            RowError::CellTooLong { column: endlen }
        } else {
            RowError::RowTooLong { column: endlen }
        }
    }

    /// The `n` cells read, checked and trimmed.
    fn cells(&mut self, n: usize) -> Result<csv::StringRecord, RowError> {
        let mut record =
            csv::ByteRecord::with_capacity(self.ends[..n].last().copied().unwrap_or(0), n);
        let mut start = 0;
        for (column, &end) in self.ends[..n].iter().enumerate() {
            if end - start > MAX_CELL {
                return Err(RowError::CellTooLong { column });
            }
            record.push_field(&self.out[start..end]);
            start = end;
        }
        let expected = *self.width.get_or_insert(n);
        if n != expected {
            return Err(RowError::Width { len: n, expected });
        }
        let mut record =
            csv::StringRecord::from_byte_record(record).map_err(|e| RowError::NotUtf8 {
                column: e.utf8_error().field(),
            })?;
        record.trim();
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &[u8]) -> Vec<(u64, Result<Vec<String>, RowError>)> {
        let mut records = Records::new(data, b',');
        let mut out = Vec::new();
        while let Some(row) = records.next_row().expect("in memory") {
            let cells = row.cells.map(|r| r.iter().map(str::to_owned).collect());
            out.push((row.line, cells));
        }
        out
    }

    fn ok(cells: &[&str]) -> Result<Vec<String>, RowError> {
        Ok(cells.iter().map(|c| (*c).to_owned()).collect())
    }

    #[test]
    fn rows_come_with_the_line_they_start_on_trimmed_and_unquoted() {
        let data = b"\xef\xbb\xbfemail,name\r\n\r\n a@b.nl ,\"Smit,\nEva\"\nc@d.nl,\"x\"\"y\"";
        assert_eq!(
            rows(data),
            vec![
                (1, ok(&["email", "name"])),
                (3, ok(&["a@b.nl", "Smit,\nEva"])),
                (5, ok(&["c@d.nl", "x\"y"])),
            ]
        );
    }

    #[test]
    fn a_row_of_the_wrong_width_or_not_utf8_is_refused_and_the_next_is_read() {
        let data = b"email,name\na@b.nl\nc@d.nl,\xff\ne@f.nl,E\n";
        assert_eq!(
            rows(data),
            vec![
                (1, ok(&["email", "name"])),
                (
                    2,
                    Err(RowError::Width {
                        len: 1,
                        expected: 2
                    })
                ),
                (3, Err(RowError::NotUtf8 { column: 1 })),
                (4, ok(&["e@f.nl", "E"])),
            ]
        );
    }

    #[test]
    fn a_cell_over_64_kib_is_refused_by_column_and_the_next_row_is_read() {
        let big = "x".repeat(MAX_CELL + 1);
        let quoted_big = format!("\"{}\"", "y\n".repeat(MAX_ROW));
        let data = format!(
            "email,name,city\na@b.nl,A,{big}\nc@d.nl,{quoted_big},C\ne@f.nl,E,{}\ng@h.nl,G,G\n",
            "z".repeat(MAX_CELL)
        );
        let got = rows(data.as_bytes());
        assert_eq!(got[1], (2, Err(RowError::CellTooLong { column: 2 })));
        assert_eq!(got[2], (3, Err(RowError::CellTooLong { column: 1 })));
        assert_eq!(got[3].0, 3 + MAX_ROW as u64 + 1);
        assert!(got[3].1.is_ok(), "a cell of exactly 64 KiB is fine");
        assert_eq!(got[4].1, ok(&["g@h.nl", "G", "G"]));
    }

    #[test]
    fn a_row_over_256_kib_or_1024_columns_is_refused() {
        let cell = "x".repeat(MAX_CELL);
        let wide = [cell.as_str(); 5].join(",");
        let many = ",".repeat(MAX_COLUMNS);
        let data = format!("a,b,c,d,e\n{wide}\n{many}\n1,2,3,4,5\n");
        let got = rows(data.as_bytes());
        assert_eq!(got[1], (2, Err(RowError::RowTooLong { column: 4 })));
        assert_eq!(got[2], (3, Err(RowError::TooManyColumns)));
        assert_eq!(got[3], (4, ok(&["1", "2", "3", "4", "5"])));
    }
}
