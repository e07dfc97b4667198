// The ddrescue-format map: marking, merging, printing and parsing hostile text.
#include <gtest/gtest.h>

#include "engine/rescue_map.h"

namespace interdict::usb {
namespace {

TEST(RescueMap, MarkSplitsAndMergesNeighbours) {
  RescueMap map(0x10000);
  ASSERT_TRUE(map.Mark(0, 0x4000, BlockState::kFinished).ok());
  ASSERT_TRUE(map.Mark(0x4000, 0x200, BlockState::kBad).ok());
  ASSERT_TRUE(map.Mark(0x4200, 0x1E00, BlockState::kFinished).ok());
  std::vector<MapBlock> expected = {{0, 0x4000, BlockState::kFinished},
                                    {0x4000, 0x200, BlockState::kBad},
                                    {0x4200, 0x1E00, BlockState::kFinished},
                                    {0x6000, 0xA000, BlockState::kNonTried}};
  EXPECT_EQ(map.blocks(), expected);
  EXPECT_EQ(map.CompletedPrefix(), 0x6000u);
  ASSERT_TRUE(map.Mark(0x4000, 0x200, BlockState::kFinished).ok());
  ASSERT_EQ(map.blocks().size(), 2u);
  EXPECT_EQ(map.blocks()[0], (MapBlock{0, 0x6000, BlockState::kFinished}));
  EXPECT_EQ(map.Mark(0xFF00, 0x200, BlockState::kBad).code(), StatusCode::kInvalidArgument);
}

TEST(RescueMap, TextRoundTripsInDdrescueFormat) {
  RescueMap map(0x100000);
  ASSERT_TRUE(map.Mark(0, 0x80000, BlockState::kFinished).ok());
  ASSERT_TRUE(map.Mark(0x1000, 0x400, BlockState::kBad).ok());
  map.set_current_pos(0x80000);
  std::string text = map.ToText({"Command line: test"});
  EXPECT_NE(text.find("0x00001000  0x00000400  -\n"), std::string::npos);
  EXPECT_NE(text.find("# Command line: test\n"), std::string::npos);
  auto parsed = RescueMap::Parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->blocks(), map.blocks());
  EXPECT_EQ(parsed->current_pos(), 0x80000u);
  EXPECT_EQ(parsed->size(), 0x100000u);
  ASSERT_EQ(parsed->BadBlocks().size(), 1u);
  EXPECT_EQ(parsed->BadBlocks()[0].pos, 0x1000u);
  EXPECT_EQ(parsed->BytesIn(BlockState::kBad), 0x400u);
}

TEST(RescueMap, ReadsWhatGnuDdrescueWrites) {
  // Shape of a ddrescue 1.25 mapfile: decimal is accepted too, as ddrescue's own parser does.
  const char* text =
      "# Mapfile. Created by GNU ddrescue version 1.25\n"
      "# current_pos  current_status  current_pass\n"
      "0x00020000     +               1\n"
      "#      pos        size  status\n"
      "0x00000000  0x00010000  +\n"
      "65536  512  -\n"
      "0x00010200  0x0000FE00  *\n";
  auto map = RescueMap::Parse(text);
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  EXPECT_EQ(map->size(), 0x20000u);
  EXPECT_EQ(map->CompletedPrefix(), 0x10200u);
}

TEST(RescueMap, RefusesMalformedMaps) {
  const char* cases[] = {
      "",                                                          // no status line
      "0x0 ?\n0x0 0x10 +\n0x20 0x10 +\n",                           // gap
      "0x0 ?\n0x0 0x10 Q\n",                                       // unknown status
      "0x0 ?\n0x0 0x0 +\n",                                        // empty block
      "0x0 ?\n0x0 0xFFFFFFFFFFFFFFFF +\n0xFFFFFFFFFFFFFFFF 0x2 +\n", // overflow
      "0x100 ?\n0x0 0x10 +\n",                                     // position past the end
      "0x0 ?\n0x0 0x10\n",                                         // missing status
      "0xZZ ?\n",                                                  // not a number
  };
  for (const char* text : cases) {
    EXPECT_EQ(RescueMap::Parse(text).status().code(), StatusCode::kCorrupt) << text;
  }
}

}  // namespace
}  // namespace interdict::usb
