#include "mlpipe/data/csv.h"

#include <charconv>
#include <cmath>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlpipe/data/number.h"
#include "mlpipe/data/test_data.h"

namespace mlpipe::data {
namespace {

using testing::SharedData;

Table MustRead(std::string_view text, const CsvOptions& o = {}) {
  auto t = ReadCsvString(text, o);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : Table();
}

TEST(CsvTest, InfersNumericDateAndCategoricalTypes) {
  Table t = MustRead("a,b,c,d\n1,2001-01-22,x,1\n2.5,2001-01-23,y,\n-3e2,,z,4\n");
  ASSERT_EQ(t.num_rows(), 3u);
  EXPECT_EQ(t.column(0).type(), ColumnType::kNumeric);
  EXPECT_EQ(t.column(1).type(), ColumnType::kDate);
  EXPECT_EQ(t.column(2).type(), ColumnType::kCategorical);
  EXPECT_EQ(t.column(3).type(), ColumnType::kNumeric);
  EXPECT_EQ(t.column(0).number(2), -300);
  EXPECT_EQ(t.column(1).ValueToString(1), "2001-01-23");
  EXPECT_TRUE(t.column(1).IsMissing(2));
  EXPECT_TRUE(t.column(3).IsMissing(1));
}

TEST(CsvTest, QuotedFieldsWithSeparatorsQuotesAndNewlines) {
  Table t = MustRead("id,text\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,plain\n");
  ASSERT_EQ(t.num_rows(), 4u);
  const Column& c = t.column(1);
  EXPECT_EQ(c.str(0), "a, b");
  EXPECT_EQ(c.str(1), "say \"hi\"");
  EXPECT_EQ(c.str(2), "two\nlines");
  EXPECT_EQ(c.str(3), "plain");
}

TEST(CsvTest, NaValuesBecomeMissing) {
  Table t = MustRead("x,y\nNA,a\nN/A,null\nNaN,\n1,NA\n");
  EXPECT_EQ(t.column(0).type(), ColumnType::kNumeric);
  EXPECT_EQ(t.column(0).MissingCount(), 3u);
  EXPECT_EQ(t.column(1).MissingCount(), 3u);
  CsvOptions o;
  o.na_values = {"-999"};
  Table u = MustRead("x\n-999\n5\n", o);
  EXPECT_TRUE(u.column(0).IsMissing(0));
  EXPECT_EQ(u.column(0).number(1), 5);
}

TEST(CsvTest, BomAndCrlfAndNoTrailingNewline) {
  Table t = MustRead("\xEF\xBB\xBFname,v\r\nä,1\r\nb,2");
  ASSERT_EQ(t.num_columns(), 2u);
  EXPECT_EQ(t.column(0).name(), "name");
  EXPECT_EQ(t.column(0).str(0), "ä");
  EXPECT_EQ(t.column(1).number(1), 2);
  EXPECT_EQ(t.num_rows(), 2u);
}

TEST(CsvTest, BlankLinesAreSkipped) {
  Table t = MustRead("a,b\n1,2\n\n3,4\n\n");
  EXPECT_EQ(t.num_rows(), 2u);
}

TEST(CsvTest, LateWordTurnsNumericColumnCategorical) {
  Table t = MustRead("zip,v\n02134,1\n10001,2\nSW1A,3\n");
  EXPECT_EQ(t.column(0).type(), ColumnType::kCategorical);
  EXPECT_EQ(t.column(0).str(0), "02134");  // original text kept
  EXPECT_EQ(t.column(1).type(), ColumnType::kNumeric);
}

TEST(CsvTest, WrongFieldCountNamesFileRowAndColumn) {
  auto too_many = ReadCsvString("a,b,c\n1,2,3\n4,5,6,7\n", {}, "f.csv");
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(too_many.status().message(), "f.csv:3:4: expected 3 fields, found 4");
  auto too_few = ReadCsvString("a,b,c\n1,2,3\n\"x\ny\",5\n", {}, "f.csv");
  ASSERT_FALSE(too_few.ok());
  EXPECT_EQ(too_few.status().message(), "f.csv:3:3: expected 3 fields, found 2");
}

TEST(CsvTest, UnterminatedQuoteIsAnError) {
  auto t = ReadCsvString("a,b\n1,2\n3,\"oops\n4,5\n", {}, "g.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "g.csv:3:2: unterminated quoted field (the closing quote is missing)");
}

TEST(CsvTest, ForcedTypeRejectsOrBlanksBadValues) {
  CsvOptions o;
  o.column_types["x"] = ColumnType::kNumeric;
  auto bad = ReadCsvString("x,y\n1,a\nfoo,b\n", o, "h.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "h.csv:3:1: column 'x' is numeric but 'foo' is not a number");
  o.type_errors_as_missing = true;
  Table t = MustRead("x,y\n1,a\nfoo,b\n", o);
  EXPECT_TRUE(t.column(0).IsMissing(1));
  CsvOptions cat;
  cat.column_types["x"] = ColumnType::kCategorical;
  Table u = MustRead("x\n1\n2\n", cat);
  EXPECT_EQ(u.column(0).type(), ColumnType::kCategorical);
  EXPECT_EQ(u.column(0).str(1), "2");
}

TEST(CsvTest, BytesThatAreNotUtf8NameTheirRowAndColumn) {
  // "caf\xE9" is Latin-1 for "cafe" with an acute accent: refused, not guessed.
  auto value = ReadCsvString("n,city\n1,Paris\n2,caf\xE9\n", {}, "l1.csv");
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(value.status().message(),
              ::testing::StartsWith("l1.csv:3:2: column 'city': value 'caf\\xE9' is not valid UTF-8"));
  EXPECT_THAT(value.status().message(), ::testing::HasSubstr("iconv -f latin1 -t utf-8"));
  auto header = ReadCsvString("n,caf\xE9\n1,2\n", {}, "h.csv");
  ASSERT_FALSE(header.ok());
  EXPECT_THAT(header.status().message(), ::testing::StartsWith("h.csv:1:2: column name 'caf\\xE9'"));
  // A value that first looks numeric is caught when the column turns categorical.
  auto late = ReadCsvString("x\n1\n2\n\xFF\n", {}, "x.csv");
  ASSERT_FALSE(late.ok());
  EXPECT_THAT(late.status().message(), ::testing::StartsWith("x.csv:4:1: column 'x'"));
  // Valid UTF-8 (two- to four-byte sequences) is read as is.
  Table ok = MustRead("city\ncaf\xC3\xA9\n\xE6\x9D\xB1\xE4\xBA\xAC\n\xF0\x9F\x98\x80\n");
  EXPECT_EQ(ok.column(0).str(0), "caf\xC3\xA9");
  EXPECT_EQ(ok.column(0).str(2), "\xF0\x9F\x98\x80");
}

TEST(CsvTest, ManyColumnsKeepTheirOrderAndAreFoundByName) {
  // 40,000 columns of one row: every name is found at its index.
  std::string header, row;
  for (int j = 0; j < 40000; ++j) {
    header += (j ? ",c" : "c") + std::to_string(j);
    row += (j ? "," : "") + std::to_string(j % 2 ? j : -j);
  }
  Table t = MustRead(header + "\n" + row + "\n");
  ASSERT_EQ(t.num_columns(), 40000u);
  for (int j : {0, 1, 20000, 39999}) {
    EXPECT_EQ(*t.IndexOf("c" + std::to_string(j)), static_cast<size_t>(j));
    EXPECT_EQ(t.Find("c" + std::to_string(j))->number(0), j % 2 ? j : -j);
  }
  auto dup = ReadCsvString(header + ",c39999\n" + row + ",1\n", {}, "w.csv");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().message(), "w.csv:1:40001: duplicate column name 'c39999'");
}

TEST(CsvTest, MissingFileIsNotFound) {
  auto t = ReadCsv("/nonexistent/x.csv");
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
}

TEST(CsvTest, EmptyHeaderNamesAndDuplicates) {
  Table t = MustRead(",b\n1,2\n");
  EXPECT_EQ(t.column(0).name(), "unnamed_1");
  auto dup = ReadCsvString("a,a\n1,2\n");
  EXPECT_EQ(dup.status().code(), StatusCode::kInvalidArgument);
}

TEST(CsvTest, ReadsEveryRealDataset) {
  struct Expect {
    const char* file;
    size_t rows, cols;
  };
  for (const Expect& e : {Expect{"iris.csv", 150, 5}, Expect{"breast_cancer.csv", 569, 31},
                          Expect{"diabetes.csv", 442, 11}, Expect{"lending_club.csv", 9857, 23},
                          Expect{"arrests.csv", 5226, 8}, Expect{"letter.csv", 20000, 17},
                          Expect{"concrete.csv", 1030, 9}, Expect{"diamonds.csv", 53940, 10},
                          Expect{"chicago_ridership.csv", 5698, 50}}) {
    auto t = ReadCsv(SharedData(e.file));
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->num_rows(), e.rows) << e.file;
    EXPECT_EQ(t->num_columns(), e.cols) << e.file;
  }
  auto lc = ReadCsv(SharedData("lending_club.csv"));
  EXPECT_EQ(lc->Find("sub_grade")->type(), ColumnType::kCategorical);
  EXPECT_EQ(lc->Find("sub_grade")->dictionary().size(), 35u);
  EXPECT_EQ(lc->Find("addr_state")->dictionary().size(), 50u);
  EXPECT_EQ(lc->Find("funded_amnt")->type(), ColumnType::kNumeric);
  auto chi = ReadCsv(SharedData("chicago_ridership.csv"));
  EXPECT_EQ(chi->Find("date")->type(), ColumnType::kDate);
  EXPECT_EQ(chi->Find("date")->ValueToString(0), "2001-01-22");
}

TEST(CsvTest, WriteThenReadRoundTrips) {
  Table t = MustRead(
      "n,c,d\n1.5,\"a, b\",2001-01-01\n,\" lead\",\n3,\"q\"\"uote\",2020-02-29\n4,\"NA\",2001-01-02\n");
  // "NA" quoted still reads as missing (NA matching is after unquoting).
  EXPECT_TRUE(t.column(1).IsMissing(3));
  const testing::TempDir tmp("data");
  const std::string& dir = tmp.path();
  ASSERT_TRUE(WriteCsv(t, dir + "/out.csv").ok());
  auto back = ReadCsv(dir + "/out.csv");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->num_rows(), t.num_rows());
  for (size_t j = 0; j < t.num_columns(); ++j) {
    EXPECT_EQ(back->column(j).type(), t.column(j).type());
    for (size_t r = 0; r < t.num_rows(); ++r) {
      EXPECT_EQ(back->column(j).ValueToString(r), t.column(j).ValueToString(r)) << j << "," << r;
    }
  }
}

TEST(CsvTest, WriterQuotesCategoryThatLooksMissing) {
  Table t;
  Column c("c", ColumnType::kCategorical);
  c.AppendString("NA");
  c.AppendString("x");
  ASSERT_TRUE(t.AddColumn(std::move(c)).ok());
  EXPECT_EQ(WriteCsvString(t), "c\n\"NA\"\nx\n");
}

TEST(CsvTest, RealDatasetRoundTripsThroughWriter) {
  auto t = ReadCsv(SharedData("lending_club.csv"));
  ASSERT_TRUE(t.ok());
  auto back = ReadCsvString(WriteCsvString(*t));
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->num_rows(), t->num_rows());
  for (size_t j = 0; j < t->num_columns(); ++j) {
    for (size_t r = 0; r < t->num_rows(); r += 7) {
      ASSERT_EQ(back->column(j).ValueToString(r), t->column(j).ValueToString(r));
    }
  }
}

}  // namespace
}  // namespace mlpipe::data

namespace mlpipe::data {
namespace {

TEST(NumberTest, ParsesLikeFromChars) {
  double d = 0;
  for (const char* s : {"0", "-0", "61.5", "0.1", "123456789012345", "1.0000000000000002", "3.14159265358979",
                        "1e5", "-2.5E-3", "+7", " 8 ", ".5", "5.", "0.000001", "99999999999999999999"}) {
    ASSERT_TRUE(ParseNumber(s, &d)) << s;
    std::string_view v(s);
    while (v.front() == ' ' || v.front() == '+') v.remove_prefix(1);
    while (v.back() == ' ') v.remove_suffix(1);
    double want = 0;
    std::from_chars(v.data(), v.data() + v.size(), want);
    EXPECT_EQ(d, want) << s;
  }
  for (const char* s : {"", ".", "-", "1.2.3", "abc", "1,5", "12a", "--1", "2001-01-01"}) {
    EXPECT_FALSE(ParseNumber(s, &d)) << s;
  }
}

}  // namespace
}  // namespace mlpipe::data
