// Vulkan-Hpp, plus VK_EXT_layer_settings for headers older than 1.3.261 (Debian 12 ships
// 1.3.239). llama.cpp's Vulkan backend names these types when it creates its instance; with
// validation off (the default) it passes an empty-effect settings struct that drivers skip.
// The Makefile puts this folder on CPATH for Vulkan builds only; with newer headers it adds
// nothing (VK_EXT_layer_settings is then defined).
#pragma once
#include_next <vulkan/vulkan.hpp>

#ifndef VK_EXT_layer_settings
#include <cstdint>
#include <vector>
namespace vk {
enum class LayerSettingTypeEXT : int32_t {
    eBool32 = 0,
    eInt32 = 1,
    eInt64 = 2,
    eUint32 = 3,
    eUint64 = 4,
    eFloat32 = 5,
    eFloat64 = 6,
    eString = 7,
};
// Layout of VkLayerSettingEXT.
struct LayerSettingEXT {
    const char *pLayerName;
    const char *pSettingName;
    LayerSettingTypeEXT type;
    uint32_t valueCount;
    const void *pValues;
};
// Layout of VkLayerSettingsCreateInfoEXT (VK_STRUCTURE_TYPE_LAYER_SETTINGS_CREATE_INFO_EXT).
struct LayerSettingsCreateInfoEXT {
    VkStructureType sType = static_cast<VkStructureType>(1000496000);
    const void *pNext = nullptr;
    uint32_t settingCount = 0;
    const LayerSettingEXT *pSettings = nullptr;
    explicit LayerSettingsCreateInfoEXT(const std::vector<LayerSettingEXT> &settings)
        : settingCount(static_cast<uint32_t>(settings.size())), pSettings(settings.data()) {}
};
} // namespace vk
#endif
