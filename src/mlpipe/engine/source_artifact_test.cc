#include "mlpipe/engine/source_artifact.h"

#include <gtest/gtest.h>

namespace mlpipe::engine {
namespace {

TEST(SourceArtifactTest, NamesAreNormalisedPaths) {
  EXPECT_EQ(SourceArtifactName("lending_club", "data/loans.csv"), "lending_club.source.data/loans.csv");
  EXPECT_EQ(SourceArtifactName("p", "./data//loans.csv"), "p.source.data/loans.csv");
  EXPECT_EQ(SourceArtifactName("p", "data/new/"), "p.source.data/new");
  EXPECT_EQ(SourceArtifactName("p", "../shared/x.csv"), "p.source.../shared/x.csv");
  EXPECT_EQ(SourceArtifactName("p", "/abs/x.csv"), "p.source./abs/x.csv");
}

TEST(SourceArtifactTest, ParseIsTheInverseAndRejectsOtherNames) {
  auto s = ParseSourceArtifactName("lending_club.source.data/loans.csv");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->pipeline, "lending_club");
  EXPECT_EQ(s->path, "data/loans.csv");
  auto nested = ParseSourceArtifactName("p.source.a.source.b");
  ASSERT_TRUE(nested.has_value());
  EXPECT_EQ(nested->path, "a.source.b");
  EXPECT_FALSE(ParseSourceArtifactName("p.train.model").has_value());
  EXPECT_FALSE(ParseSourceArtifactName("p.source.").has_value());
  EXPECT_FALSE(ParseSourceArtifactName(".source.x").has_value());
}

}  // namespace
}  // namespace mlpipe::engine
